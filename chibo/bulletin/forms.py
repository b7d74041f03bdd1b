"""Forms of the bulletin pages (the services validate again and own the messages)."""

from __future__ import annotations

from django import forms

from chibo.bulletin.models import Category
from chibo.core.forms import VersionField

CATEGORY_CHOICES = [("", "— chọn chuyên mục —"), *Category.choices]


class FeedForm(forms.Form):
    name = forms.CharField(label="Tên nguồn", max_length=200)
    url = forms.CharField(
        label="Địa chỉ RSS/Atom",
        max_length=1000,
        widget=forms.URLInput(attrs={"placeholder": "https://…/rss"}),
    )
    category = forms.ChoiceField(label="Chuyên mục", choices=CATEGORY_CHOICES)


class ItemForm(forms.Form):
    category = forms.ChoiceField(label="Chuyên mục", choices=CATEGORY_CHOICES)
    title = forms.CharField(label="Tiêu đề", max_length=500)
    text = forms.CharField(label="Nội dung", widget=forms.Textarea(attrs={"rows": 6}))
    link = forms.CharField(label="Đường dẫn (nếu có)", max_length=1000, required=False)
    push = forms.BooleanField(label="Chuyển xuống các chi bộ trực thuộc", required=False)


class EntryForm(forms.Form):
    title = forms.CharField(label="Tiêu đề", max_length=500)
    text = forms.CharField(label="Nội dung đọc", widget=forms.Textarea(attrs={"rows": 6}))
    category = forms.ChoiceField(label="Chuyên mục", choices=Category.choices)
    expected_version = VersionField()


class TypedEntryForm(forms.Form):
    category = forms.ChoiceField(label="Chuyên mục", choices=CATEGORY_CHOICES)
    title = forms.CharField(label="Tiêu đề", max_length=500)
    text = forms.CharField(label="Nội dung đọc", widget=forms.Textarea(attrs={"rows": 5}))

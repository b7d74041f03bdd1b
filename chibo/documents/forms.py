from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from chibo.core.forms import VersionField
from chibo.organisations.models import Organisation


class ExportForm(forms.Form):
    organisation = forms.ModelChoiceField(label="Chi bộ hoặc đảng bộ", queryset=Organisation.objects.none(),
                                          empty_label=None)
    year = forms.IntegerField(label="Năm", error_messages={"required": "Hãy nhập năm.",
                                                         "invalid": "Năm phải là số, ví dụ 2026."})

    def __init__(self, *args: Any, organisations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations if organisations is not None else Organisation.objects.none()
        self.fields["organisation"].error_messages["invalid_choice"] = "Tổ chức không có trong phạm vi của bạn."
        self.fields["year"].initial = timezone.localdate().year


class OutlineForm(forms.Form):
    outline = forms.CharField(
        label="Đề cương (các phần)", widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Mỗi phần một dòng; các ý của phần ghi ở dòng dưới, bắt đầu bằng dấu “-”.",
        error_messages={"required": "Hãy nhập ít nhất một phần của đề cương."},
    )
    key_points = forms.CharField(label="Những ý chính", required=False, widget=forms.Textarea(attrs={"rows": 4}),
                                 help_text="Mỗi ý một dòng.")
    conclusion = forms.CharField(label="Kết luận", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    expected_version = VersionField()

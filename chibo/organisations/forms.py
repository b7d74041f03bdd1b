from __future__ import annotations

from django import forms

from chibo.core.forms import VersionField, VNDateField
from chibo.organisations.models import Organisation, OrgKind
from chibo.rules import loader as rules


def rulebook_choices() -> list[tuple[str, str]]:
    return [("", "Theo cấp trên")] + [(b.code, b.name) for b in rules.load_all().values()]


class OrganisationForm(forms.Form):
    name = forms.CharField(label="Tên", max_length=255)
    kind = forms.ChoiceField(label="Loại", choices=OrgKind.choices)
    code = forms.CharField(label="Mã (không bắt buộc)", max_length=40, required=False)
    address = forms.CharField(label="Địa điểm sinh hoạt", max_length=255, required=False)
    founded_on = VNDateField(
        label="Ngày thành lập (không bắt buộc)", required=False,
        help_text="Chi bộ mới thành lập chỉ bị tính số buổi phải họp từ tháng thành lập.",
    )
    rulebook_code = forms.ChoiceField(label="Bộ quy tắc", required=False)
    supervisor = forms.ModelChoiceField(
        label="Cấp ủy cấp trên theo dõi", queryset=Organisation.objects.none(), required=False,
        empty_label="Cấp trên trực tiếp",
    )
    expected_version = VersionField()  # editing: the version the form was drawn from

    def __init__(self, *args, ancestors: list[Organisation] | None = None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["rulebook_code"].choices = rulebook_choices()
        ids = [a.pk for a in ancestors or []]
        self.fields["supervisor"].queryset = Organisation.objects.filter(pk__in=ids).order_by("depth")


class MoveForm(forms.Form):
    new_parent = forms.ModelChoiceField(label="Chuyển về dưới", queryset=Organisation.objects.none())
    note = forms.CharField(label="Ghi chú (quyết định số…)", max_length=255, required=False)

    def __init__(self, *args, candidates=None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["new_parent"].queryset = candidates if candidates is not None else Organisation.objects.none()


class TermForm(forms.Form):
    name = forms.CharField(label="Tên nhiệm kỳ", max_length=60, initial="2025–2030")
    start = VNDateField(label="Từ ngày", required=True)
    end = VNDateField(label="Đến ngày", required=True)

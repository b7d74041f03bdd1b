from __future__ import annotations

from django import forms

from chibo.core.forms import VNDateField
from chibo.members.models import Gender, MemberStatus, PartyPosition, TempDirection
from chibo.organisations.models import Organisation, OrgKind


class MemberForm(forms.Form):
    full_name = forms.CharField(label="Họ và tên", max_length=120)
    birth_date = VNDateField(label="Ngày sinh")
    gender = forms.ChoiceField(label="Giới tính", choices=[("", "—"), *Gender.choices], required=False)
    ethnicity = forms.CharField(label="Dân tộc", max_length=40, required=False, initial="Kinh")
    hometown = forms.CharField(label="Quê quán", max_length=255, required=False)
    residence = forms.CharField(label="Nơi ở", max_length=255, required=False)
    admission_date = VNDateField(label="Ngày vào Đảng")
    official_date = VNDateField(label="Ngày chính thức")
    status = forms.ChoiceField(label="Trạng thái", choices=MemberStatus.choices)
    card_number = forms.CharField(label="Số thẻ đảng viên", max_length=20, required=False)
    cccd = forms.CharField(
        label="Số CCCD", max_length=12, required=False,
        help_text="12 chữ số. Được mã hóa khi lưu; để trống nếu không thay đổi.",
    )
    phone = forms.CharField(label="Điện thoại", max_length=20, required=False)
    email = forms.CharField(label="Email", max_length=254, required=False)
    party_position = forms.ChoiceField(label="Chức vụ đảng", choices=PartyPosition.choices, required=False)
    government_position = forms.CharField(label="Chức vụ chính quyền/đoàn thể", max_length=255, required=False)
    exempt_from = VNDateField(label="Miễn công tác và sinh hoạt từ ngày")
    temp_direction = forms.ChoiceField(label="Sinh hoạt tạm thời", choices=TempDirection.choices, required=False)
    temp_other_cell = forms.CharField(label="Chi bộ nơi đi/đến", max_length=255, required=False)
    temp_from = VNDateField(label="Sinh hoạt tạm thời từ ngày")
    temp_to = VNDateField(label="Sinh hoạt tạm thời đến ngày")
    suspended_from = VNDateField(label="Đình chỉ sinh hoạt từ ngày")
    special_duty = forms.BooleanField(label="Lực lượng vũ trang làm nhiệm vụ đặc biệt", required=False)
    # The record's version when the form was opened (editing only): a newer save is a conflict.
    expected_version = forms.CharField(widget=forms.HiddenInput, required=False, max_length=24)

    def member_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("expected_version", None)
        data.pop("cccd", None)
        data.pop("organisation", None)
        data.pop("party_group", None)
        return data


class MemberCreateForm(MemberForm):
    organisation = forms.ModelChoiceField(label="Chi bộ", queryset=Organisation.objects.none())
    party_group = forms.ModelChoiceField(
        label="Tổ đảng", queryset=Organisation.objects.none(), required=False, empty_label="—"
    )

    def __init__(self, *args, cells=None, groups=None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = cells if cells is not None else Organisation.objects.none()
        self.fields["party_group"].queryset = groups if groups is not None else Organisation.objects.filter(kind=OrgKind.GROUP)
        # Put the placement fields first.
        order = ["organisation", "party_group"] + [k for k in self.fields if k not in {"organisation", "party_group"}]
        self.order_fields(order)


class TransferForm(forms.Form):
    organisation = forms.ModelChoiceField(label="Chi bộ mới", queryset=Organisation.objects.none())
    party_group = forms.ModelChoiceField(
        label="Tổ đảng", queryset=Organisation.objects.none(), required=False, empty_label="—"
    )
    on = VNDateField(label="Từ ngày", required=True)
    note = forms.CharField(label="Ghi chú", max_length=255, required=False)

    def __init__(self, *args, cells=None, groups=None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = cells if cells is not None else Organisation.objects.none()
        self.fields["party_group"].queryset = groups if groups is not None else Organisation.objects.none()

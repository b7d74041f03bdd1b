from __future__ import annotations

from django import forms

from chibo.accounts.permissions import Role
from chibo.members.models import Member


class OTPForm(forms.Form):
    token = forms.CharField(
        label="Mã xác thực 6 số", max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )


class AssignRoleForm(forms.Form):
    username = forms.CharField(label="Tên đăng nhập", max_length=150)
    role = forms.ChoiceField(label="Vai trò", choices=Role.choices)


class CreateAccountForm(forms.Form):
    username = forms.CharField(label="Tên đăng nhập", max_length=150)
    email = forms.EmailField(label="Email (để đặt mật khẩu)", required=False)
    display_name = forms.CharField(label="Họ và tên", max_length=120, required=False)
    member = forms.ModelChoiceField(label="Là đảng viên", queryset=Member.objects.none(), required=False, empty_label="— (cán bộ cấp trên)")
    officer_title = forms.CharField(label="Chức danh (cán bộ cấp trên)", max_length=255, required=False)
    role = forms.ChoiceField(label="Vai trò", choices=Role.choices)

    def __init__(self, *args, members=None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if members is not None:
            self.fields["member"].queryset = members

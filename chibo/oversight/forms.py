"""Forms of the upper committee's pages (dates dd/mm/yyyy; choices limited to the committee's subtree)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from chibo.accounts.models import RoleAssignment, User
from chibo.accounts.permissions import ROLE_PERMISSIONS, Perm
from chibo.core.forms import VersionField, VNDateField
from chibo.members.models import Member
from chibo.organisations.models import Organisation, under
from chibo.oversight.models import GuidanceKind, InspectionKind
from chibo.oversight.services import cells_below

MONTHS = [(m, f"Tháng {m:02d}") for m in range(1, 13)]


def officers_of(committee: Organisation) -> Any:
    """Accounts that oversee COMMITTEE (a role granting OVERSIGHT_MANAGE on it or above it)."""
    roles = [r for r, perms in ROLE_PERMISSIONS.items() if Perm.OVERSIGHT_MANAGE in perms]
    ids = [int(p) for p in committee.path.strip("/").split("/") if p]
    user_ids = RoleAssignment.objects.filter(organisation_id__in=ids, role__in=roles).values_list(
        "user_id", flat=True
    )
    return User.objects.filter(pk__in=user_ids, is_active=True).order_by("display_name", "username")


class OfficerField(forms.ModelChoiceField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", "— Chọn cán bộ —")
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: User) -> str:
        name = obj.display_name or obj.username
        return f"{name} — {obj.officer_title}" if obj.officer_title and obj.officer_title != name else name


def _year_field() -> forms.IntegerField:
    return forms.IntegerField(
        label="Năm",
        min_value=2000,
        max_value=2100,
        initial=lambda: timezone.localdate().year,
        error_messages={
            "invalid": "Năm phải là số.",
            "min_value": "Năm không hợp lệ.",
            "max_value": "Năm không hợp lệ.",
        },
    )


def _month_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label="Tháng", choices=MONTHS, coerce=int, initial=lambda: timezone.localdate().month
    )


class GuidanceForm(forms.Form):
    year = _year_field()
    month = _month_field()
    title = forms.CharField(
        label="Tiêu đề", max_length=255, error_messages={"required": "Thiếu tiêu đề định hướng."}
    )
    body = forms.CharField(
        label="Nội dung định hướng", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    all_cells = forms.BooleanField(label="Gửi mọi chi bộ trực thuộc", required=False, initial=True)
    cells = forms.ModelMultipleChoiceField(
        label="Hoặc chọn chi bộ nhận",
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, committee: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cells"].queryset = cells_below(committee)


class GuidanceItemForm(forms.Form):
    kind = forms.ChoiceField(label="Loại", choices=GuidanceKind.choices)
    title = forms.CharField(label="Nội dung", max_length=255, error_messages={"required": "Thiếu nội dung."})
    document_ref = forms.CharField(label="Số, ký hiệu văn bản", max_length=120, required=False)
    deadline = VNDateField(label="Hạn thực hiện")


class AssignForm(forms.Form):
    officer = OfficerField(
        label="Cán bộ dự", queryset=User.objects.none(), error_messages={"required": "Chọn cán bộ dự."}
    )
    cell = forms.ModelChoiceField(
        label="Chi bộ",
        empty_label="— Chọn chi bộ —",
        queryset=Organisation.objects.none(),
        error_messages={"required": "Chọn chi bộ."},
    )
    year = _year_field()
    month = _month_field()

    def __init__(self, *args: Any, committee: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers_of(committee)
        self.fields["cell"].queryset = cells_below(committee)


class VisitForm(forms.Form):
    attended = forms.TypedChoiceField(
        label="Dự sinh hoạt", choices=[("1", "Đã dự"), ("0", "Không dự được")], coerce=lambda v: v == "1"
    )
    remarks = forms.CharField(
        label="Ý kiến phát biểu, nhận xét của cán bộ dự",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )


class ProgrammeForm(forms.Form):
    title = forms.CharField(label="Tên chương trình", max_length=255, required=False)


class MemberField(forms.ModelChoiceField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", "— Chọn đảng viên —")
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Member) -> str:
        return f"{obj.full_name} — {obj.organisation.name}"


class InspectionItemForm(forms.Form):
    kind = forms.ChoiceField(label="Hình thức", choices=InspectionKind.choices)
    subject_cell = forms.ModelChoiceField(
        label="Chi bộ được kiểm tra, giám sát",
        empty_label="— Chọn chi bộ —",
        queryset=Organisation.objects.none(),
        required=False,
    )
    subject_member = MemberField(label="Hoặc đảng viên", queryset=Member.objects.none(), required=False)
    content = forms.CharField(
        label="Nội dung",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Thiếu nội dung kiểm tra, giám sát."},
    )
    period_from = VNDateField(
        label="Từ ngày",
        required=True,
        error_messages={"required": "Nhập ngày bắt đầu.", "invalid": "Ngày phải theo dạng dd/mm/yyyy."},
    )
    period_to = VNDateField(
        label="Đến ngày",
        required=True,
        error_messages={"required": "Nhập ngày kết thúc.", "invalid": "Ngày phải theo dạng dd/mm/yyyy."},
    )
    officer = OfficerField(
        label="Cán bộ phụ trách",
        queryset=User.objects.none(),
        error_messages={"required": "Chọn cán bộ phụ trách."},
    )

    def __init__(self, *args: Any, committee: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject_cell"].queryset = cells_below(committee)
        self.fields["subject_member"].queryset = (
            Member.objects.filter(under(committee.path, "organisation__"), left_at__isnull=True)
            .select_related("organisation")
            .order_by("sort_key")
        )
        self.fields["officer"].queryset = officers_of(committee)


class ConcludeForm(forms.Form):
    result = forms.CharField(
        label="Kết quả",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Ghi kết quả kiểm tra, giám sát."},
    )
    conclusion = forms.CharField(
        label="Kết luận",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Ghi kết luận."},
    )
    expected_version = VersionField()


class RecommendationForm(forms.Form):
    text = forms.CharField(
        label="Kiến nghị",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Thiếu nội dung kiến nghị."},
    )
    due_date = VNDateField(label="Hạn khắc phục")


class FollowUpForm(forms.Form):
    note = forms.CharField(
        label="Kết quả thực hiện",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Ghi kết quả thực hiện kiến nghị."},
    )
    done = forms.BooleanField(label="Xác nhận đã hoàn thành", required=False)


class PairForm(forms.Form):
    year = _year_field()
    month = _month_field()
    scorer_cell = forms.ModelChoiceField(
        label="Chi bộ chấm",
        empty_label="— Chọn chi bộ —",
        queryset=Organisation.objects.none(),
        error_messages={"required": "Chọn chi bộ chấm."},
    )
    scored_cell = forms.ModelChoiceField(
        label="Chi bộ được chấm",
        empty_label="— Chọn chi bộ —",
        queryset=Organisation.objects.none(),
        error_messages={"required": "Chọn chi bộ được chấm."},
    )

    def __init__(self, *args: Any, committee: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scorer_cell"].queryset = cells_below(committee)
        self.fields["scored_cell"].queryset = cells_below(committee)


class ScoreForm(forms.Form):
    """One field per scorecard criterion of the meeting's kind."""

    note = forms.CharField(label="Nhận xét", widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(
        self, *args: Any, criteria: Any, initial_entries: dict[str, int] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for c in criteria:
            self.fields[f"c_{c.code}"] = forms.IntegerField(
                label=f"{c.title} (tối đa {c.points})",
                min_value=0,
                max_value=c.points,
                initial=(initial_entries or {}).get(c.code),
                required=True,
                error_messages={
                    "required": "Nhập điểm.",
                    "invalid": "Điểm phải là số.",
                    "min_value": f"Điểm từ 0 đến {c.points}.",
                    "max_value": f"Điểm từ 0 đến {c.points}.",
                },
            )
        self.order_fields([f"c_{c.code}" for c in criteria] + ["note"])

    def entries(self) -> dict[str, int]:
        return {c.code: self.cleaned_data[f"c_{c.code}"] for c in self.criteria}


class ModelMarkForm(forms.Form):
    note = forms.CharField(
        label="Vì sao là buổi mẫu", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

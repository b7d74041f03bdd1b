"""Forms of the member's year: they parse; the services validate and write."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms

from chibo.annual.services import COMMITMENT_LABELS
from chibo.core.forms import VersionField, VNDateField
from chibo.rules.loader import AnnualRules, FrameCriterion

TEXT = {"rows": 4}


class CommitmentForm(forms.Form):
    political = forms.CharField(
        label=COMMITMENT_LABELS["political"], widget=forms.Textarea(attrs=TEXT), required=False
    )
    ethical = forms.CharField(
        label=COMMITMENT_LABELS["ethical"], widget=forms.Textarea(attrs=TEXT), required=False
    )
    professional = forms.CharField(
        label=COMMITMENT_LABELS["professional"], widget=forms.Textarea(attrs=TEXT), required=False
    )
    assigned_tasks = forms.CharField(
        label=COMMITMENT_LABELS["assigned_tasks"], widget=forms.Textarea(attrs=TEXT), required=False
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Ý kiến", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


def score_fields(
    frame: tuple[FrameCriterion, ...], initial: dict[str, Any], prefix: str
) -> list[dict[str, Any]]:
    return [
        {
            "name": f"{prefix}{c.code}",
            "code": c.code,
            "title": c.title,
            "points": c.points,
            "value": initial.get(c.code, ""),
        }
        for c in frame
    ]


def scores_from(data: Any, frame: tuple[FrameCriterion, ...], prefix: str) -> dict[str, Any]:
    return {c.code: data.get(f"{prefix}{c.code}", "") for c in frame}


class SelfAssessmentForm(forms.Form):
    strengths = forms.CharField(label="Ưu điểm", required=False, widget=forms.Textarea(attrs=TEXT))
    weaknesses = forms.CharField(
        label="Hạn chế, khuyết điểm và nguyên nhân", required=False, widget=forms.Textarea(attrs=TEXT)
    )
    remedy = forms.CharField(
        label="Phương hướng, biện pháp khắc phục", required=False, widget=forms.Textarea(attrs=TEXT)
    )
    expected_version = VersionField()


class AssessForm(forms.Form):
    comment = forms.CharField(
        label="Nhận xét của chi bộ", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    tasks_exceeding = forms.IntegerField(
        label="Số nhiệm vụ vượt yêu cầu",
        min_value=0,
        required=False,
        error_messages={"invalid": "Số nhiệm vụ vượt yêu cầu phải là số nguyên."},
    )
    disciplined = forms.BooleanField(
        label="Có tổ chức, cá nhân bị kỷ luật trong năm (tập thể)", required=False
    )
    proposed_level = forms.ChoiceField(label="Mức đề nghị", required=False)
    expected_version = VersionField()

    def __init__(self, *args: Any, rules: AnnualRules, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["proposed_level"].choices = [("", "Theo điểm và điều kiện")] + [
            (lv.level, lv.label) for lv in rules.rating.levels
        ]


class VoteForm(forms.Form):
    in_favour = forms.IntegerField(
        label="Tán thành",
        min_value=0,
        error_messages={"required": "Hãy ghi số phiếu tán thành.", "invalid": "Số phiếu phải là số nguyên."},
    )
    against = forms.IntegerField(
        label="Không tán thành",
        min_value=0,
        error_messages={
            "required": "Hãy ghi số phiếu không tán thành.",
            "invalid": "Số phiếu phải là số nguyên.",
        },
    )
    base = forms.IntegerField(label="Tổng số đảng viên chính thức", min_value=1, required=False)


class DecideForm(forms.Form):
    final_level = forms.ChoiceField(label="Quyết định xếp loại")
    note = forms.CharField(label="Ý kiến", required=False, max_length=500)

    def __init__(self, *args: Any, rules: AnnualRules, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["final_level"].choices = [(lv.level, lv.label) for lv in rules.rating.levels]


class ProposeForm(forms.Form):
    held_on = VNDateField(
        label="Ngày họp kiểm điểm",
        required=True,
        error_messages={
            "required": "Hãy ghi ngày họp kiểm điểm.",
            "invalid": "Ngày phải theo dạng dd/mm/yyyy.",
        },
    )
    place = forms.CharField(label="Địa điểm", required=False, max_length=255)
    present_count = forms.IntegerField(label="Số đảng viên có mặt", min_value=0, required=False)


class ShortcomingForm(forms.Form):
    member = forms.TypedChoiceField(label="Của", coerce=int, required=False, empty_value=None)
    text = forms.CharField(
        label="Hạn chế, khuyết điểm", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    raised_by = forms.TypedChoiceField(label="Người nêu", coerce=int, required=False, empty_value=None)
    raised_by_name = forms.CharField(label="hoặc người nêu ngoài chi bộ", required=False, max_length=255)
    remedy_plan = forms.CharField(
        label="Kế hoạch khắc phục", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    remedy_due = VNDateField(label="Hạn khắc phục")
    meeting = forms.IntegerField(required=False, widget=forms.HiddenInput)
    review = forms.IntegerField(required=False, widget=forms.HiddenInput)
    back = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = [(m.pk, m.full_name) for m in members]
        self.fields["member"].choices = [("", "Tập thể chi bộ")] + people
        self.fields["raised_by"].choices = [("", "—")] + people


class PlanForm(forms.Form):
    plan = forms.CharField(
        label="Kế hoạch khắc phục", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    due = VNDateField(label="Hạn khắc phục")
    expected_version = VersionField()


class MonthField(forms.CharField):
    """A month written mm/yyyy (or m/yyyy); cleaned to the 1st of that month."""

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if not value:
            return None
        m = re.fullmatch(r"\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*", value)
        if not m or not 1 <= int(m.group(1)) <= 12 or not 1900 < int(m.group(2)) < 2200:
            raise forms.ValidationError("Hãy ghi tháng theo dạng tháng/năm, ví dụ 07/2026.")
        return dt.date(int(m.group(2)), int(m.group(1)), 1)


class DuesProfileForm(forms.Form):
    valid_from = MonthField(label="Áp dụng từ tháng (tháng/năm)", required=False)
    expected_version = VersionField()
    category = forms.ChoiceField(label="Đối tượng")
    base_income = forms.IntegerField(label="Thu nhập làm căn cứ (đồng/tháng)", min_value=0, required=False)
    fixed_amount = forms.IntegerField(label="Mức cố định (đồng/tháng)", min_value=0, required=False)
    voluntary_amount = forms.IntegerField(
        label="Tự nguyện đóng cao hơn (đồng/tháng)", min_value=1, required=False
    )

    def __init__(self, *args: Any, rules: AnnualRules, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c.code, c.label) for c in rules.dues.categories]


class PaymentForm(forms.Form):
    member = forms.TypedChoiceField(label="Đảng viên", coerce=int)
    month = forms.IntegerField(label="Tháng", min_value=1, max_value=12)
    amount = forms.IntegerField(label="Số tiền (đồng)", min_value=1)
    paid_on = VNDateField(label="Ngày nộp", required=True)
    note = forms.CharField(label="Ghi chú", required=False, max_length=255)

    def __init__(self, *args: Any, members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [(m.pk, m.full_name) for m in members]


class RemittanceForm(forms.Form):
    month = forms.IntegerField(label="Tháng", min_value=1, max_value=12)
    amount = forms.IntegerField(label="Số tiền nộp cấp trên (đồng)", min_value=1)
    remitted_on = VNDateField(label="Ngày nộp", required=True)
    note = forms.CharField(label="Ghi chú", required=False, max_length=255)


def form_errors(form: forms.Form) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return " ".join(parts)

"""Forms of the meeting pages: Vietnamese labels, dd/mm/yyyy dates, HH:MM times.

Forms only parse what the user typed; the rules (who may chair, what a vote needs, …) live in
the services, whose ValidationErrors are mapped back onto these forms by the views.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone

from chibo.core.forms import VNDateField
from chibo.meetings.models import AttendanceStatus, Choice, DocumentKind, MeetingKind, VoteMethod
from chibo.members.models import Member
from chibo.organisations.models import Organisation

_TIME = re.compile(r"^(\d{1,2})\s*(?:[:hH.]\s*(\d{2})?|(\d{2}))?$")


class VNTimeField(forms.TimeField):
    """HH:MM, also accepting 19h30, 19.30, 1930 and 19 (typed on a phone's keypad)."""

    widget = forms.TimeInput(format="%H:%M", attrs={"placeholder": "HH:MM", "autocomplete": "off", "size": 6})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("error_messages", {"invalid": "Giờ phải theo dạng HH:MM, ví dụ 19:30."})
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> dt.time | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.time):
            return value
        match = _TIME.match(str(value).strip())
        if not match:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        hour, minute = int(match.group(1)), int(match.group(2) or match.group(3) or 0)
        if len(match.group(1)) > 2 or hour > 23 or minute > 59:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return dt.time(hour, minute)


def combine(
    day: dt.date | None, time: dt.time | None, default: dt.time = dt.time(19, 30)
) -> dt.datetime | None:
    """A local date and time as an aware datetime (None without a date)."""
    if day is None:
        return None
    return dt.datetime.combine(day, time or default, tzinfo=timezone.get_current_timezone())


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Member) -> str:  # type: ignore[override]
        return obj.full_name


class _SharedChoices(forms.models.ModelChoiceIterator):
    """Options from a list the form loads once for all its member selects (a ModelChoiceField
    queries its queryset again for every select it renders)."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.shared_rows():
            yield self.choice(obj)

    def __len__(self) -> int:
        return len(self.field.shared_rows()) + (self.field.empty_label is not None)


class RecordVersionField(forms.CharField):
    """The version of one record's text the page was drawn from (chibo.core.versions). Not named
    expected_version: the live screen's script rewrites that field with the meeting version."""

    widget = forms.HiddenInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)


class VersionField(forms.IntegerField):
    """The meeting version the page was drawn from (optimistic concurrency)."""

    widget = forms.HiddenInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        super().__init__(*args, **kwargs)


# --- plan -----------------------------------------------------------------------------
class PlanForm(forms.Form):
    day_of_month = forms.IntegerField(
        label="Ngày sinh hoạt thường kỳ hằng tháng",
        min_value=1,
        max_value=28,
        initial=15,
        help_text="Từ 1 đến 28. Sau khi lập vẫn đổi được ngày của từng buổi.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    time = VNTimeField(label="Giờ bắt đầu", initial=dt.time(19, 30), required=True)
    place = forms.CharField(
        label="Địa điểm",
        max_length=255,
        required=False,
        help_text="Để trống: dùng địa điểm sinh hoạt của chi bộ.",
    )


class TopicForm(forms.Form):
    quarter = forms.TypedChoiceField(label="Quý", coerce=int, choices=[(q, f"Quý {q}") for q in range(1, 5)])
    title = forms.CharField(label="Tên chuyên đề", max_length=255)
    presenter = MemberChoiceField(
        label="Người trình bày", queryset=Member.objects.none(), required=False, empty_label="—"
    )
    presenter_group = forms.ModelChoiceField(
        label="Hoặc tổ đảng chuẩn bị", queryset=Organisation.objects.none(), required=False, empty_label="—"
    )
    draft_due = VNDateField(label="Hạn nộp dự thảo")
    outline = forms.CharField(
        label="Đề cương tóm tắt", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    meeting_date = VNDateField(label="Ngày sinh hoạt chuyên đề", help_text="Để trống nếu chưa xếp lịch.")
    meeting_time = VNTimeField(label="Giờ", initial=dt.time(19, 30))
    combined = forms.BooleanField(
        label="Kết hợp với sinh hoạt thường kỳ",
        required=False,
        help_text="Một buổi gồm cả nội dung thường kỳ và chuyên đề (thời lượng dài hơn).",
    )

    def __init__(self, *args: Any, members: Any = None, groups: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["presenter"].queryset = members if members is not None else Member.objects.none()
        self.fields["presenter_group"].queryset = (
            groups if groups is not None else Organisation.objects.none()
        )

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "quarter": d["quarter"],
            "title": d["title"],
            "presenter": d["presenter"],
            "presenter_group": d["presenter_group"],
            "draft_due": d["draft_due"],
            "outline": d["outline"],
            "scheduled_at": combine(d["meeting_date"], d["meeting_time"]),
            "combined": d["combined"],
        }


class RescheduleForm(forms.Form):
    date = VNDateField(label="Ngày", required=True)
    time = VNTimeField(label="Giờ", required=True)
    expected_version = VersionField()


# --- create and prepare ---------------------------------------------------------------
class MeetingCreateForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label="Chi bộ", queryset=Organisation.objects.none(), empty_label=None
    )
    kind = forms.ChoiceField(
        label="Loại buổi sinh hoạt",
        choices=MeetingKind.choices,
        help_text="Sinh hoạt bất thường: khi có việc đột xuất cần chi bộ bàn và quyết định.",
    )
    date = VNDateField(label="Ngày", required=True)
    time = VNTimeField(label="Giờ", required=True, initial=dt.time(19, 30))
    place = forms.CharField(
        label="Địa điểm",
        max_length=255,
        required=False,
        help_text="Để trống: dùng địa điểm sinh hoạt của chi bộ.",
    )
    title = forms.CharField(label="Nội dung chính", max_length=255, required=False)

    def __init__(self, *args: Any, cells: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = cells if cells is not None else Organisation.objects.none()

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "cell": d["organisation"],
            "kind": d["kind"],
            "scheduled_at": combine(d["date"], d["time"]),
            "place": d["place"],
            "title": d["title"],
        }


class MeetingDetailsForm(forms.Form):
    title = forms.CharField(label="Nội dung chính", max_length=255, required=False)
    kind = forms.ChoiceField(label="Loại buổi sinh hoạt", choices=MeetingKind.choices)
    date = VNDateField(label="Ngày", required=True)
    time = VNTimeField(label="Giờ", required=True)
    place = forms.CharField(label="Địa điểm", max_length=255, required=False)
    preparer = MemberChoiceField(
        label="Người chuẩn bị nội dung",
        queryset=Member.objects.none(),
        required=False,
        empty_label="—",
        help_text="Bí thư hoặc phó bí thư trực tiếp chuẩn bị.",
    )
    pre_meeting_date = VNDateField(label="Chi ủy họp trước: ngày")
    pre_meeting_time = VNTimeField(label="Chi ủy họp trước: giờ")
    pre_meeting_notes = forms.CharField(
        label="Nội dung chi ủy thống nhất", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    chair = MemberChoiceField(
        label="Chủ trì", queryset=Member.objects.none(), required=False, empty_label="—"
    )
    secretary = MemberChoiceField(
        label="Thư ký", queryset=Member.objects.none(), required=False, empty_label="—"
    )
    expected_version = VersionField()

    def __init__(self, *args: Any, members: Any = None, kind_editable: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        loaded: list[Member] = []

        def rows() -> list[Member]:  # the selects' options: one query, only when rendered
            if not loaded and members is not None:
                loaded.extend(members)
            return loaded

        for name in ("preparer", "chair", "secretary"):
            field = self.fields[name]
            field.shared_rows = rows  # type: ignore[attr-defined]
            field.iterator = _SharedChoices  # type: ignore[attr-defined]
            # Validation still looks the chosen member up in the queryset; setting it also
            # hands the widget its choices (from the iterator above).
            field.queryset = members if members is not None else Member.objects.none()
        if not kind_editable:
            del self.fields["kind"]

    @classmethod
    def initial_for(cls, meeting: Any) -> dict[str, Any]:
        when = timezone.localtime(meeting.scheduled_at)
        pre = timezone.localtime(meeting.pre_meeting_at) if meeting.pre_meeting_at else None
        return {
            "title": meeting.title,
            "kind": meeting.kind,
            "date": when.date(),
            "time": when.time(),
            "place": meeting.place,
            "preparer": meeting.preparer_id,
            "chair": meeting.chair_id,
            "secretary": meeting.secretary_id,
            "pre_meeting_notes": meeting.pre_meeting_notes,
            "pre_meeting_date": pre.date() if pre else None,
            "pre_meeting_time": pre.time() if pre else None,
            "expected_version": meeting.version,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("pre_meeting_time") and not data.get("pre_meeting_date"):
            self.add_error("pre_meeting_date", "Hãy ghi ngày chi ủy họp.")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        out = {
            "title": d["title"],
            "scheduled_at": combine(d["date"], d["time"]),
            "place": d["place"],
            "preparer": d["preparer"],
            "pre_meeting_at": combine(d["pre_meeting_date"], d["pre_meeting_time"], dt.time(8, 0)),
            "pre_meeting_notes": d["pre_meeting_notes"],
            "chair": d["chair"],
            "secretary": d["secretary"],
            "expected_version": d["expected_version"],
        }
        if "kind" in d:
            out["kind"] = d["kind"]
        return out


class DocumentForm(forms.Form):
    """Ids prefixed doc_ so they do not clash with the details form on the same page."""

    kind = forms.ChoiceField(
        label="Loại tài liệu", choices=DocumentKind.choices, initial=DocumentKind.DRAFT_RESOLUTION
    )
    title = forms.CharField(
        label="Tên tài liệu", max_length=255, required=False, help_text="Để trống: dùng tên tệp."
    )
    file = forms.FileField(label="Tệp", error_messages={"required": "Hãy chọn tệp để tải lên."})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "doc_%s")
        super().__init__(*args, **kwargs)
        mb = settings.CHIBO_MAX_UPLOAD_BYTES // (1024 * 1024)
        self.fields[
            "file"
        ].help_text = f"PDF, Word (DOCX), Excel (XLSX), PowerPoint (PPTX), ảnh PNG/JPG; tối đa {mb} MB."
        self.fields["file"].widget.attrs["accept"] = ".pdf,.docx,.xlsx,.pptx,.png,.jpg,.jpeg"


class AmendmentForm(forms.Form):
    text = forms.CharField(
        label="Nội dung đính chính",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Hãy ghi nội dung đính chính."},
    )


# --- the live screen ------------------------------------------------------------------
class AttendanceForm(forms.Form):
    status = forms.ChoiceField(choices=AttendanceStatus.choices)
    reason = forms.CharField(max_length=255, required=False)
    expected_version = VersionField()


class DuesForm(forms.Form):
    collected = forms.BooleanField(required=False)
    amount = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=10_000_000,
        error_messages={"invalid": "Số tiền phải là số nguyên (đồng)."},
    )


class PeopleForm(forms.Form):
    chair = forms.TypedChoiceField(label="Chủ trì", coerce=int, required=False, empty_value=None)
    secretary = forms.TypedChoiceField(label="Thư ký", coerce=int, required=False, empty_value=None)
    expected_version = VersionField()

    def __init__(self, *args: Any, members: list[tuple[int, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        for name in ("chair", "secretary"):
            self.fields[name].choices = [("", "—"), *members]


class GuestForm(forms.Form):
    name = forms.CharField(
        label="Họ và tên", max_length=120, error_messages={"required": "Hãy ghi họ và tên đại biểu."}
    )
    position = forms.CharField(label="Chức vụ, đơn vị", max_length=255, required=False)
    is_upper_officer = forms.BooleanField(label="Đại biểu cấp ủy cấp trên", required=False)


class ItemForm(forms.Form):
    title = forms.CharField(
        label="Nội dung thêm vào chương trình",
        max_length=255,
        error_messages={"required": "Hãy ghi tên nội dung."},
    )
    after = forms.TypedChoiceField(label="Sau bước", coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, items: list[tuple[int, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["after"].choices = [("", "Cuối chương trình"), *items]


class ConclusionForm(forms.Form):
    text = forms.CharField(
        label="Kết luận của chủ trì", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    record_version = RecordVersionField()


class SpeechForm(forms.Form):
    who = forms.ChoiceField(label="Người phát biểu", error_messages={"required": "Hãy chọn người phát biểu."})
    item = forms.TypedChoiceField(label="Thuộc nội dung", coerce=int, required=False, empty_value=None)
    summary = forms.CharField(
        label="Tóm tắt ý kiến",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Hãy ghi tóm tắt ý kiến."},
    )

    def __init__(
        self, *args: Any, who: list[Any] = (), items: list[tuple[int, str]] = (), **kwargs: Any
    ) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["who"].choices = [("", "— chọn người phát biểu —"), *who]
        self.fields["item"].choices = [("", "—"), *items]


class TaskReportForm(forms.Form):
    text = forms.CharField(
        label="Kết quả thực hiện",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Hãy ghi kết quả thực hiện."},
    )
    done = forms.BooleanField(label="Đã hoàn thành", required=False)
    record_version = RecordVersionField()


class TaskForm(forms.Form):
    title = forms.CharField(
        label="Nhiệm vụ",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Hãy ghi nội dung nhiệm vụ."},
    )
    assignee = forms.ChoiceField(
        label="Giao cho", error_messages={"required": "Hãy chọn đảng viên hoặc tổ đảng thực hiện."}
    )
    due_date = VNDateField(label="Hạn hoàn thành")

    def __init__(self, *args: Any, assignees: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "— chọn đảng viên hoặc tổ đảng —"), *assignees]


class VoteOpenForm(forms.Form):
    subject = forms.CharField(label="Nội dung biểu quyết", max_length=255, initial="Nghị quyết tháng")
    method = forms.ChoiceField(
        label="Cách ghi", choices=VoteMethod.choices, initial=VoteMethod.COUNT, widget=forms.RadioSelect
    )


class BallotForm(forms.Form):
    member = forms.IntegerField()
    choice = forms.ChoiceField(choices=Choice.choices)


class VoteCloseForm(forms.Form):
    in_favour = forms.IntegerField(label="Tán thành", min_value=0, required=False)
    against = forms.IntegerField(label="Không tán thành", min_value=0, required=False)
    other = forms.IntegerField(label="Ý kiến khác", min_value=0, required=False)


class ScoreForm(forms.Form):
    """One column of the scorecard: a number per criterion the cell (or the officer) enters."""

    note = forms.CharField(label="Ghi chú", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    record_version = RecordVersionField()

    def __init__(
        self, *args: Any, criteria: Any = (), entered: set[str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.codes = [c.code for c in criteria if entered is None or c.code in entered]
        for c in criteria:
            if entered is None or c.code in entered:
                self.fields[f"c_{c.code}"] = forms.IntegerField(
                    label=c.title,
                    min_value=0,
                    max_value=c.points,
                    required=False,
                    error_messages={"max_value": f"Tối đa {c.points} điểm.", "min_value": "Không âm."},
                )

    def entries(self) -> dict[str, int]:
        return {
            code: self.cleaned_data[f"c_{code}"]
            for code in self.codes
            if self.cleaned_data.get(f"c_{code}") is not None
        }

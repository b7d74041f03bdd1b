"""Rulebook pages: the rulebooks in force, read as plain tables; provincial variants (upload/edit).

Anyone signed in may read the rules. Creating a variant needs Perm.RULEBOOK_MANAGE on the issuing
committee: out of the user's subtree → 404, read-only there → 403 (chibo.accounts.access).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from chibo.accounts.access import get_scope, org_for_user
from chibo.accounts.permissions import Perm
from chibo.core.forms import apply_service_errors
from chibo.organisations.models import Organisation
from chibo.rules import loader, services
from chibo.rules.forms import VariantForm
from chibo.rules.models import RulebookRecord, stored_version

KIND_LABELS = {
    "regular": "Sinh hoạt thường kỳ",
    "thematic": "Sinh hoạt chuyên đề",
    "combined": "Thường kỳ kết hợp chuyên đề",
    "extraordinary": "Sinh hoạt bất thường",
}
SECTION_LABELS = {"opening": "Mở đầu", "content": "Nội dung", "closing": "Kết thúc"}
GROUP_LABELS = {
    "preparation": "Chuẩn bị",
    "participation": "Tham gia của đảng viên",
    "chairing": "Điều hành",
    "content": "Nội dung",
    "follow_up": "Kết quả, theo dõi thực hiện",
}
ATTENDANCE_EXCLUSIONS = {
    "exempt": "miễn sinh hoạt",
    "special_duty": "làm nhiệm vụ đặc biệt",
    "away": "sinh hoạt tạm thời nơi khác",
    "suspended": "đình chỉ sinh hoạt",
}
VOTE_EXCLUSIONS = {
    "away": "sinh hoạt tạm thời nơi khác",
    "exempt_absent": "miễn sinh hoạt và vắng mặt",
    "suspended": "đình chỉ sinh hoạt",
    "special_duty_absent": "làm nhiệm vụ đặc biệt và vắng mặt",
}
AUTO_LABELS = {
    "prepared": "có người chuẩn bị và chi ủy họp trước",
    "documents_on_time": "tài liệu công bố đúng hạn",
    "notice_sent": "đã thông báo đảng viên (và cấp ủy cấp trên nếu bắt buộc)",
    "attendance_rate": "tỷ lệ dự họp đạt ngưỡng",
    "no_unexcused": "không quá số vắng không lý do cho phép",
    "duration": "đủ thời lượng tối thiểu",
    "speakers": "tỷ lệ đảng viên có mặt phát biểu",
    "tasks_reviewed": "đã kiểm điểm mọi nhiệm vụ còn mở",
    "vote_passed": "nghị quyết/kết luận được biểu quyết thông qua",
    "minutes_complete": "biên bản đầy đủ và đã đọc lại",
    "thematic_draft_ready": "có dự thảo chuyên đề và đã công bố",
    "presented_by_assignee": "người được phân công trình bày chuyên đề",
}
VARIANT_LABELS = {"regular": "Phiếu chấm buổi thường kỳ", "thematic": "Phiếu chấm buổi chuyên đề"}
ISSUER_LIMIT = 300
_NAME_LINE = re.compile(r'^(name[ \t]*:[ \t]*)"([^"\n]*)"[ \t]*$', re.MULTILINE)


# --- a rulebook as plain tables ---------------------------------------------------------
def _num(value: Fraction) -> str:
    return str(int(value)) if value.denominator == 1 else f"{float(value):.2f}".rstrip("0").replace(".", ",")


def _list(names: frozenset[str], labels: dict[str, str]) -> str:
    return ", ".join(labels.get(n, n) for n in sorted(names)) or "không"


@dataclass
class Rule:
    topic: str
    text: str
    source: str


@dataclass
class BookView:
    book: loader.Rulebook
    rules: list[Rule]
    agenda: list[dict[str, Any]]
    scorecards: list[dict[str, Any]]
    bands: list[dict[str, Any]]
    key_criteria: list[str]
    record: RulebookRecord | None = None
    shipped: bool = False
    history: list[RulebookRecord] = field(default_factory=list)


def present(book: loader.Rulebook) -> BookView:
    """BOOK as rows a non-technical officer can read, every rule with its source."""
    cs, fr, du, do, at, vo = (
        book.cell_structure,
        book.frequency,
        book.duration,
        book.documents,
        book.attendance,
        book.vote,
    )
    word = "Trên" if at.rate_must_exceed else "Từ"
    rules = [
        Rule(
            "Cơ cấu chi bộ",
            f"Chi bộ có ít nhất {cs.min_full_members} đảng viên chính thức; từ "
            f"{cs.committee_from_full_members} đảng viên chính thức trở lên thì bầu chi ủy (ít nhất "
            f"{cs.min_committee_size} chi ủy viên).",
            cs.source,
        ),
        Rule(
            "Số buổi sinh hoạt",
            f"Sinh hoạt thường kỳ {fr.regular_per_month} lần mỗi tháng; sinh hoạt "
            f"chuyên đề ít nhất {fr.thematic_per_quarter} lần mỗi quý.",
            fr.source,
        ),
        Rule(
            "Thời lượng",
            f"Mỗi buổi ít nhất {du.min_minutes} phút; buổi thường kỳ kết hợp chuyên đề ít "
            f"nhất {du.min_minutes_combined} phút.",
            du.source,
        ),
        Rule(
            "Công bố tài liệu",
            f"Tài liệu, dự thảo nghị quyết công bố trước buổi sinh hoạt ít nhất "
            f"{do.publish_days_before} ngày.",
            do.source,
        ),
        Rule(
            "Thông báo cấp ủy cấp trên",
            "Bắt buộc thông báo cấp ủy cấp trên theo dõi chi bộ."
            if do.notify_upper_committee
            else "Không bắt buộc thông báo cấp ủy cấp trên.",
            do.source,
        ),
        Rule(
            "Tỷ lệ dự họp",
            f"{word} {_num(at.min_rate_percent)}% đảng viên phải dự có mặt. Không tính "
            f"vào số phải dự: {_list(at.excluded_from_base, ATTENDANCE_EXCLUSIONS)}.",
            at.source,
        ),
        Rule(
            "Vắng không lý do",
            "Không đảng viên nào được vắng không lý do."
            if at.max_unexcused == 0
            else f"Tối đa {at.max_unexcused} đảng viên vắng không lý do mỗi buổi.",
            at.source,
        ),
        Rule(
            "Vắng có lý do liên tiếp",
            f"Một đảng viên vắng có lý do không quá {at.max_consecutive_excused} lần liên tiếp trong năm.",
            at.source,
        ),
        Rule(
            "Biểu quyết",
            f"Nghị quyết được thông qua khi số tán thành nhiều hơn {_num(vo.pass_fraction * 100)}% "
            f"số đảng viên có quyền biểu quyết (không phải số có mặt). "
            f"{'Đảng viên dự bị được biểu quyết.' if vo.probationary_may_vote else 'Đảng viên dự bị không biểu quyết.'} "
            f"Không tính vào số có quyền biểu quyết: {_list(vo.excluded_from_base, VOTE_EXCLUSIONS)}.",
            vo.source,
        ),
        Rule(
            "Chấm điểm buổi sinh hoạt",
            f"Thang 100 điểm, {len(book.scorecard.bands)} mức xếp loại.",
            book.scorecard.source,
        ),
    ]
    agenda = [
        {
            "kind": KIND_LABELS.get(kind, kind),
            "steps": [
                {
                    "n": n,
                    "title": s.title,
                    "section": SECTION_LABELS.get(s.section, s.section),
                    "code": s.code,
                }
                for n, s in enumerate(steps, start=1)
            ],
        }
        for kind, steps in book.agenda.items()
    ]
    titles: dict[str, str] = {}
    scorecards = []
    for name, criteria in book.scorecard.variants.items():
        kinds = [
            KIND_LABELS[k]
            for k, v in book.scorecard.variant_for_kind.items()
            if v == name and k in KIND_LABELS
        ]
        rows = []
        for c in criteria:
            titles.setdefault(c.code, c.title)
            how = "Chấm tay"
            if c.auto:
                how = f"Tự động: {AUTO_LABELS.get(c.auto, c.auto)}"
                if c.steps:
                    how += " (" + "; ".join(f"từ {_num(t * 100)}%: {p} điểm" for t, p in c.steps) + ")"
            rows.append(
                {
                    "code": c.code,
                    "title": c.title,
                    "group": GROUP_LABELS.get(c.group, c.group),
                    "points": c.points,
                    "auto": bool(c.auto),
                    "how": how,
                    "key": c.code in book.scorecard.key_criteria,
                }
            )
        scorecards.append(
            {
                "label": VARIANT_LABELS.get(name, name),
                "kinds": kinds,
                "rows": rows,
                "total": sum(c.points for c in criteria),
                "auto_points": sum(c.points for c in criteria if c.auto),
            }
        )
    bands = [
        {"label": b.label, "min": b.min, "key": b.requires_key_full, "grade": b.grade}
        for b in book.scorecard.bands
    ]
    return BookView(
        book=book,
        rules=rules,
        agenda=agenda,
        scorecards=scorecards,
        bands=bands,
        key_criteria=[titles.get(code, code) for code in book.scorecard.key_criteria],
    )


def _newest_variants() -> dict[str, RulebookRecord]:
    out: dict[str, RulebookRecord] = {}
    for r in (
        RulebookRecord.objects.filter(is_variant=True)
        .select_related("organisation", "uploaded_by")
        .order_by("code", "-version")
    ):
        out.setdefault(r.code, r)
    return out


def _can_manage(request: HttpRequest) -> bool:
    return get_scope(request.user).has_anywhere(Perm.RULEBOOK_MANAGE)


# --- pages -----------------------------------------------------------------------------
@require_GET
@login_required
def rulebook_list(request: HttpRequest) -> HttpResponse:
    files = loader.load_files()
    records = _newest_variants()
    views = []
    for code, book in sorted(loader.load_all().items(), key=lambda kv: (kv[0] not in files, kv[1].name)):
        view = present(book)
        view.shipped = code in files
        view.record = records.get(code)
        views.append(view)
    return render(request, "rules/list.html", {"books": views, "can_manage": _can_manage(request)})


@require_GET
@login_required
def rulebook_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The rulebook in force, or ?phien-ban=N: the exact version a past meeting recorded."""
    version = _version_param(request)
    if version is not None:
        book = stored_version(code, version)
    else:
        book = loader.load_all().get(code)
    if book is None:
        raise Http404("Không có bộ quy tắc này.")
    view = present(book)
    view.shipped = code in loader.load_files()
    view.history = list(
        RulebookRecord.objects.filter(code=code)
        .select_related("organisation", "uploaded_by")
        .order_by("-version")
    )
    view.record = next((r for r in view.history if r.version == book.version), None)
    current = loader.load_all().get(code)
    return render(
        request,
        "rules/detail.html",
        {
            "b": view,
            "current_version": current.version if current else None,
            "can_manage": _can_manage(request),
        },
    )


@require_GET
@login_required
def rulebook_yaml(request: HttpRequest, code: str) -> HttpResponse:
    version = _version_param(request)
    text = services.text_of(code, version)
    if text is None:
        raise Http404("Không có bộ quy tắc này.")
    name = f"{code}-v{version}.yaml" if version else f"{code}.yaml"
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _version_param(request: HttpRequest) -> int | None:
    raw = request.GET.get("phien-ban")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise Http404("Phiên bản không hợp lệ.") from None


def _issuers(request: HttpRequest, extra: Organisation | None = None) -> list[Organisation]:
    """Committees where the user may issue a rulebook (tree order), plus EXTRA if given."""
    qs = (
        Organisation.objects.filter(get_scope(request.user).q(Perm.RULEBOOK_MANAGE))
        .exclude(kind__in=list(services.NOT_ISSUERS))
        .order_by("path")
    )
    out = list(qs[:ISSUER_LIMIT])
    if extra is not None and all(o.pk != extra.pk for o in out):
        out.append(extra)
    return out


def _copy_text(code: str) -> str | None:
    """The text to start from: a variant as is (saving makes a new version of it); a shipped
    rulebook with a new code, since shipped codes cannot be reused."""
    text = services.text_of(code)
    if text is None:
        return None
    if code in loader.load_files():
        text = text.replace(f"code: {code}", f"code: {code}-dia-phuong", 1)
        text = services._VERSION_LINE.sub(lambda m: f"{m.group(1)}1", text, count=1)
        text = _NAME_LINE.sub(lambda m: f'{m.group(1)}"{m.group(2)} — bản của địa phương"', text, count=1)
    return text


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "rules/refused.html", {"message": message}, status=403)


@require_http_methods(["GET", "POST"])
@login_required
def variant_upload(request: HttpRequest) -> HttpResponse:
    """Create a provincial variant or a new version of one: upload a YAML file or edit a copy."""
    organisation = None
    try:
        if request.method == "POST" and request.POST.get("organisation"):
            organisation, _ = org_for_user(
                request.user, request.POST["organisation"], need=Perm.RULEBOOK_MANAGE
            )
        elif not _can_manage(request):
            raise PermissionDenied(
                "Chỉ quản trị viên có quyền quản lý bộ quy tắc mới tạo được bộ quy tắc địa phương."
            )
    except PermissionDenied as exc:
        return _refused(request, str(exc) or "Bạn không có quyền thực hiện thao tác này.")
    issuers = _issuers(request, organisation)
    if request.method == "POST":
        form = VariantForm(request.POST, request.FILES, organisations=issuers)
        if form.is_valid():
            assert organisation is not None  # the field is required: a valid form carries it
            text = form.cleaned_data["yaml_text"]
            try:
                saved = services.save_variant(actor=request.user, organisation=organisation, text=text)
            except ValidationError as exc:
                data = request.POST.copy()
                data["text"] = text  # an uploaded file comes back in the editor, to be fixed there
                form = VariantForm(data, organisations=issuers)
                form.is_valid()
                apply_service_errors(form, exc)
            else:
                note = ""
                asked = getattr(saved, "requested_version", saved.version)
                if asked != saved.version:
                    note = f" Tệp ghi phiên bản {asked}; đã lưu thành phiên bản {saved.version} (phiên bản mới nhất + 1)."
                messages.success(request, f"Đã lưu “{saved.name}”, phiên bản {saved.version}.{note}")
                return redirect(reverse("rules:detail", args=[saved.code]))
    else:
        start_from = request.GET.get("tu", "")
        initial: dict[str, Any] = {}
        if start_from:
            text = _copy_text(start_from)
            if text is None:
                raise Http404("Không có bộ quy tắc này.")
            initial["text"] = text
            record = _newest_variants().get(start_from)
            if record is not None and record.organisation_id:
                initial["organisation"] = record.organisation_id
        form = VariantForm(initial=initial, organisations=issuers)
    books = sorted(loader.load_all().values(), key=lambda b: b.name)
    return render(
        request,
        "rules/upload.html",
        {
            "form": form,
            "books": books,
            "start_from": request.GET.get("tu", ""),
            "max_kb": services.MAX_BYTES // 1024,
        },
    )

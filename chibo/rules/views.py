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
CONDITION_LABELS = {  # the annual rating's conditions (loader.RATING_CONDITIONS), as the rule states them
    "done_percent": "hoàn thành {v}% nhiệm vụ",
    "exceeding_percent": "ít nhất {v}% nhiệm vụ vượt yêu cầu",
    "shortcomings_remedied_percent": "khắc phục {v}% hạn chế đã được chỉ ra trước đó",
    "max_late_percent": "không quá {v}% nhiệm vụ chậm tiến độ",
    "no_discipline": "không có tổ chức, cá nhân bị kỷ luật",
}
SECTION_HEADINGS = {
    "meetings": "Sinh hoạt chi bộ",
    "annual": "Kiểm điểm, xếp loại cuối năm và đảng phí",
    "oversight": "Cấp ủy cấp trên theo dõi",
}
SUBJECT_LABELS = {"member": "đảng viên", "cell": "chi bộ"}
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
    section: str = "meetings"  # "meetings", "annual" (year-end review, dues) or "oversight"

    @property
    def section_label(self) -> str:
        return SECTION_HEADINGS.get(self.section, "")


def _money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def _fraction(value: Fraction) -> str:
    return _num(value) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _age(months: int) -> str:
    years, rest = divmod(months, 12)
    return f"{years} tuổi" + (f" {rest} tháng" if rest else "")


def _rating_text(rating: loader.AnnualRatingRule, subject: str) -> str:
    parts = []
    levels = list(rating.levels)
    for i, lv in enumerate(levels):
        conds = [
            CONDITION_LABELS.get(name, name).format(v=_num(Fraction(str(value))) if value is not True else "")
            for name, value in lv.conditions.get(subject, {}).items()
            if value not in (None, False)
        ]
        if lv.min > 0:
            head = f"{lv.label}: từ {lv.min} điểm"
        else:
            above = levels[i - 1].min if i else 0
            head = f"{lv.label}: dưới {above} điểm" if above else f"{lv.label}"
        parts.append(head + (" và " + ", ".join(conds) if conds else ""))
    frame = "; ".join(f"{c.title} {c.points} điểm" for c in rating.frames.get(subject, ()))
    return (
        f"Thang 100 điểm, {len(levels)} mức. "
        + "; ".join(parts)
        + "."
        + (f" Khung điểm: {frame}." if frame else "")
    )


def annual_rules_shown(book: loader.Rulebook) -> list[Rule]:
    """The year-end review (QĐ 366) and dues (QĐ 342) sections, as plain rows. A rulebook without
    them uses the default rulebook's (as chibo.annual.selectors.annual_rules does): said in the text."""
    annual = book.annual
    inherited = annual is None
    if annual is None:
        annual = loader.get(None).annual
    if annual is None:  # pragma: no cover - the shipped default always has them
        return []
    note = " (theo bộ quy tắc mặc định, bộ này không quy định riêng)" if inherited else ""
    rt, cap, vote, cy, du = annual.rating, annual.cap, annual.vote, annual.cell_year, annual.dues
    level = {lv.level: lv.label for lv in rt.levels}
    bands = {b.grade: b.label for b in book.scorecard.bands}
    top = book.scorecard.bands[0].label if book.scorecard.bands else ""
    rows = [
        Rule(f"Xếp loại {SUBJECT_LABELS[s]} cuối năm", _rating_text(rt, s) + note, rt.source, "annual")
        for s in ("member", "cell")
    ]
    if cap.max_percent is None:
        cap_text = "Không giới hạn tỷ lệ xếp loại cao nhất."
    else:
        cap_text = (
            f"Số được xếp “{rt.levels[0].label}” không quá {_num(cap.max_percent)}% số được xếp "
            + " hoặc ".join(f"“{level.get(code, code)}”" for code in cap.base_levels)
            + " trong chi bộ."
        )
    rows.append(Rule("Tỷ lệ xếp loại cao nhất", cap_text + note, cap.source, "annual"))
    vote_parts = [
        f"“{level.get(code, code)}” cần {'ít nhất' if t.at_least else 'trên'} {_fraction(t.fraction)} số đảng viên "
        "chính thức của chi bộ tán thành"
        for code, t in vote.thresholds.items()
    ]
    rows.append(
        Rule(
            "Biểu quyết xếp loại",
            (
                "; ".join(vote_parts) + " (tính trên tổng số đảng viên chính thức, không chỉ số có mặt)."
                if vote_parts
                else "Không cần biểu quyết."
            )
            + note,
            vote.source,
            "annual",
        )
    )
    grade_parts = []
    for g in cy.grades:
        conds = []
        if g.all_at_least:
            conds.append(f"mọi kỳ từ mức {bands.get(g.all_at_least, g.all_at_least)} trở lên")
        if g.min_top:
            conds.append(f"ít nhất {g.min_top} kỳ mức {top}")
        grade_parts.append(f"{g.label}: " + (" và ".join(conds) if conds else "các trường hợp còn lại"))
    rows.append(
        Rule(
            "Chất lượng sinh hoạt chi bộ cả năm",
            "Từ kết quả 12 kỳ sinh hoạt thường kỳ: "
            + "; ".join(grade_parts)
            + f". Tháng không có buổi sinh hoạt được xếp loại tính là mức "
            f"{bands.get(cy.missing_month_counts_as, cy.missing_month_counts_as)}." + note,
            cy.source,
            "annual",
        )
    )
    rates = "; ".join(
        f"{c.label}"
        if c.fixed or c.percent is None or f"{_num(c.percent)}%" in c.label
        else f"{c.label}: {_num(c.percent)}%"
        for c in du.categories
    )
    rows.append(Rule("Mức đóng đảng phí", f"Theo đối tượng: {rates}." + note, du.source, "annual"))
    halved = any(c.halved_outside_working_age for c in du.categories)
    rows.append(
        Rule(
            "Mức đóng cố định",
            f"Từ {_money(du.fixed_min)} đến {_money(du.fixed_max)} đồng/tháng"
            + (
                f"; đảng viên ngoài độ tuổi lao động đóng {_num(du.outside_working_age_factor * 100)}% mức đó"
                if halved
                else ""
            )
            + ". "
            + (
                "Đảng viên tự nguyện đóng cao hơn mức quy định khi chi ủy đồng ý."
                if du.voluntary_needs_approval
                else "Đảng viên được tự nguyện đóng cao hơn mức quy định."
            )
            + note,
            du.source,
            "annual",
        )
    )
    gender = {"nam": "nam", "nu": "nữ"}
    roadmap = "; ".join(
        f"{gender.get(g, g)} {_age(r.base_months)} năm {r.base_year}, mỗi năm thêm {r.step_months} tháng, "
        f"đến {_age(r.max_months)}"
        for g, r in du.retirement.items()
    )
    rows.append(
        Rule(
            "Độ tuổi lao động (tính đảng phí)",
            f"Từ {du.min_working_age_years} tuổi đến tuổi nghỉ hưu theo lộ trình: {roadmap}." + note,
            du.working_age_source,
            "annual",
        )
    )
    return rows


def oversight_rules_shown(book: loader.Rulebook) -> list[Rule]:
    ov = book.oversight
    edges = list(ov.attendance_buckets)
    buckets = [f"dưới {edges[0]}%"] if edges else []
    buckets += [f"{a}–{b}%" for a, b in zip(edges, edges[1:], strict=False)]
    buckets += [f"từ {edges[-1]}%"] if edges else []
    return [
        Rule(
            "Bảng theo dõi của cấp ủy cấp trên",
            f"Tỷ lệ dự họp của các chi bộ chia theo các mức: {', '.join(buckets)}. Mỗi nhóm tiêu chí nêu "
            f"{ov.weak_cells_shown} chi bộ cần giúp đỡ nhất.",
            ov.source,
            "oversight",
        )
    ]


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
    rules += annual_rules_shown(book) + oversight_rules_shown(book)
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

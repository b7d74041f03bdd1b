"""Rulebooks: versioned YAML files, validated at start-up.

A rulebook gathers every threshold the Party's guidance fixes for cell life (structure,
meeting frequency and duration, documents, attendance, vote pass mark, agenda templates,
the 100-point scorecard with its grade bands). Each rule carries its `source`. Code reads
these dataclasses, never literals. See docs/rulebooks.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

RULEBOOK_DIR = Path(__file__).parent / "rulebooks"
DEFAULT_RULEBOOK = "hd42-2025"

MEETING_KINDS = ("regular", "thematic", "combined", "extraordinary")
AGENDA_SECTIONS = ("opening", "content", "closing")
ATTENDANCE_EXCLUSIONS = frozenset({"exempt", "special_duty", "away", "suspended"})
VOTE_EXCLUSIONS = frozenset({"away", "exempt_absent", "suspended", "special_duty_absent"})
AUTO_MEASURES = frozenset({
    "prepared", "documents_on_time", "notice_sent", "attendance_rate", "no_unexcused",
    "duration", "speakers", "tasks_reviewed", "vote_passed", "minutes_complete",
    "thematic_draft_ready", "presented_by_assignee",
})
CRITERION_GROUPS = frozenset({"preparation", "participation", "chairing", "content", "follow_up"})


class RulebookError(ValueError):
    pass


@dataclass(frozen=True)
class CellStructureRule:
    min_full_members: int
    committee_from_full_members: int
    min_committee_size: int
    source: str


@dataclass(frozen=True)
class FrequencyRule:
    regular_per_month: int
    thematic_per_quarter: int
    source: str


@dataclass(frozen=True)
class DurationRule:
    min_minutes: int
    min_minutes_combined: int
    source: str

    def minimum_for(self, kind: str) -> int:
        return self.min_minutes_combined if kind == "combined" else self.min_minutes


@dataclass(frozen=True)
class DocumentsRule:
    publish_days_before: int
    notify_upper_committee: bool
    source: str


@dataclass(frozen=True)
class AttendanceRule:
    min_rate_percent: Fraction
    rate_must_exceed: bool
    excluded_from_base: frozenset[str]
    max_unexcused: int
    max_consecutive_excused: int
    source: str


@dataclass(frozen=True)
class VoteRule:
    pass_fraction: Fraction
    excluded_from_base: frozenset[str]
    probationary_may_vote: bool
    source: str


@dataclass(frozen=True)
class AgendaStep:
    code: str
    section: str
    title: str


@dataclass(frozen=True)
class Criterion:
    code: str
    group: str
    points: int
    title: str
    auto: str | None = None
    steps: tuple[tuple[Fraction, int], ...] = ()


@dataclass(frozen=True)
class Band:
    grade: str
    label: str
    min: int
    requires_key_full: bool = False


@dataclass(frozen=True)
class Scorecard:
    bands: tuple[Band, ...]
    key_criteria: tuple[str, ...]
    variants: dict[str, tuple[Criterion, ...]]
    variant_for_kind: dict[str, str]
    source: str

    def criteria_for(self, kind: str) -> tuple[Criterion, ...]:
        return self.variants[self.variant_for_kind.get(kind, "regular")]


@dataclass(frozen=True)
class OversightRule:
    """How upper-committee dashboards band and rank (optional section `oversight`)."""

    attendance_buckets: tuple[int, ...] = (50, 70, 85, 95)
    weak_cells_shown: int = 3
    source: str = "Mặc định của chibo"


@dataclass(frozen=True)
class Rulebook:
    code: str
    version: int
    name: str
    effective_from: dt.date | None
    cell_structure: CellStructureRule
    frequency: FrequencyRule
    duration: DurationRule
    documents: DocumentsRule
    attendance: AttendanceRule
    vote: VoteRule
    agenda: dict[str, tuple[AgendaStep, ...]]
    scorecard: Scorecard
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    annual: AnnualRules | None = None  # the member's year (chibo.annual); see _annual()
    oversight: OversightRule = field(default_factory=OversightRule)


# --- validation helpers ---------------------------------------------------------------
def _section(data: Any, key: str, where: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, dict):
        raise RulebookError(f"{where}: thiếu mục {key}.")
    return value


def _int(data: dict[str, Any], key: str, where: str, *, minimum: int = 0) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise RulebookError(f"{where}.{key}: phải là số nguyên ≥ {minimum} (đang là {value!r}).")
    return value


def _bool(data: dict[str, Any], key: str, where: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise RulebookError(f"{where}.{key}: phải là true hoặc false (đang là {value!r}).")
    return value


def _number(data: dict[str, Any], key: str, where: str, *, low: float, high: float) -> Fraction:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise RulebookError(f"{where}.{key}: phải là số từ {low} đến {high} (đang là {value!r}).")
    return Fraction(str(value))


def _str(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RulebookError(f"{where}.{key}: thiếu hoặc rỗng.")
    return value.strip()


def _source(data: dict[str, Any], where: str) -> str:
    value = data.get("source")
    if not isinstance(value, str) or not value.strip():
        raise RulebookError(f"{where}.source: mỗi quy tắc phải ghi nguồn (văn bản, điều).")
    return value.strip()


def _names(data: dict[str, Any], key: str, where: str, allowed: frozenset[str]) -> frozenset[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or any(v not in allowed for v in value):
        raise RulebookError(f"{where}.{key}: chỉ được dùng {sorted(allowed)} (đang là {value!r}).")
    return frozenset(value)


def _agenda(rules: dict[str, Any], code: str) -> dict[str, tuple[AgendaStep, ...]]:
    agenda = _section(rules, "agenda", f"{code}.rules")
    out: dict[str, tuple[AgendaStep, ...]] = {}
    for kind in MEETING_KINDS:
        steps = agenda.get(kind)
        where = f"{code}.rules.agenda.{kind}"
        if not isinstance(steps, list) or not steps:
            raise RulebookError(f"{where}: thiếu chương trình mẫu cho loại buổi sinh hoạt này.")
        parsed = []
        for i, step in enumerate(steps):
            w = f"{where}[{i}]"
            if not isinstance(step, dict):
                raise RulebookError(f"{w}: phải có code, section, title.")
            section = _str(step, "section", w)
            if section not in AGENDA_SECTIONS:
                raise RulebookError(f"{w}.section: phải là một trong {list(AGENDA_SECTIONS)}.")
            parsed.append(AgendaStep(code=_str(step, "code", w), section=section, title=_str(step, "title", w)))
        codes = [s.code for s in parsed]
        if len(set(codes)) != len(codes):
            raise RulebookError(f"{where}: mã bước bị trùng.")
        out[kind] = tuple(parsed)
    return out


def _criteria(items: Any, where: str) -> tuple[Criterion, ...]:
    if not isinstance(items, list) or not items:
        raise RulebookError(f"{where}: thiếu danh sách tiêu chí.")
    out = []
    for i, item in enumerate(items):
        w = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise RulebookError(f"{w}: tiêu chí phải là một bảng.")
        group = _str(item, "group", w)
        if group not in CRITERION_GROUPS:
            raise RulebookError(f"{w}.group: phải là một trong {sorted(CRITERION_GROUPS)}.")
        auto = item.get("auto")
        if auto is not None and auto not in AUTO_MEASURES:
            raise RulebookError(f"{w}.auto: không có phép đo tự động {auto!r}.")
        points = _int(item, "points", w, minimum=1)
        steps: list[tuple[Fraction, int]] = []
        for step in item.get("steps", []) or []:
            if (
                not isinstance(step, list) or len(step) != 2
                or not isinstance(step[1], int) or not 0 <= step[1] <= points
                or not isinstance(step[0], (int, float)) or not 0 <= step[0] <= 1
            ):
                raise RulebookError(f"{w}.steps: mỗi bậc là [tỷ lệ 0–1, điểm ≤ {points}].")
            steps.append((Fraction(str(step[0])), step[1]))
        out.append(Criterion(
            code=_str(item, "code", w), group=group, points=points, title=_str(item, "title", w),
            auto=auto, steps=tuple(sorted(steps, reverse=True)),
        ))
    codes = [c.code for c in out]
    if len(set(codes)) != len(codes):
        raise RulebookError(f"{where}: mã tiêu chí bị trùng.")
    total = sum(c.points for c in out)
    if total != 100:
        raise RulebookError(f"{where}: tổng điểm các tiêu chí phải là 100 (đang là {total}).")
    return tuple(out)


def _scorecard(rules: dict[str, Any], code: str) -> Scorecard:
    where = f"{code}.rules.scorecard"
    sc = _section(rules, "scorecard", f"{code}.rules")
    bands_raw = sc.get("bands")
    if not isinstance(bands_raw, list) or not bands_raw:
        raise RulebookError(f"{where}.bands: thiếu các mức xếp loại.")
    bands = []
    for i, b in enumerate(bands_raw):
        w = f"{where}.bands[{i}]"
        if not isinstance(b, dict):
            raise RulebookError(f"{w}: phải có grade, label, min.")
        bands.append(Band(
            grade=_str(b, "grade", w), label=_str(b, "label", w), min=_int(b, "min", w),
            requires_key_full=bool(b.get("requires_key_full", False)),
        ))
    mins = [b.min for b in bands]
    if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins) or mins[-1] != 0:
        raise RulebookError(f"{where}.bands: các mức phải giảm dần theo điểm tối thiểu và mức cuối là 0.")
    variants = {}
    for name in ("regular", "thematic"):
        variants[name] = _criteria(sc.get(name), f"{where}.{name}")
    key = sc.get("key_criteria", [])
    if not isinstance(key, list):
        raise RulebookError(f"{where}.key_criteria: phải là danh sách mã tiêu chí.")
    for name, criteria in variants.items():
        missing = set(key) - {c.code for c in criteria}
        if missing:
            raise RulebookError(f"{where}.{name}: thiếu tiêu chí then chốt {sorted(missing)}.")
    variant_for_kind = {"regular": "regular", "thematic": "thematic", "combined": "regular", "extraordinary": "regular"}
    variant_for_kind.update(sc.get("variant_for_kind", {}) or {})
    if any(v not in variants for v in variant_for_kind.values()):
        raise RulebookError(f"{where}.variant_for_kind: chỉ dùng regular hoặc thematic.")
    return Scorecard(
        bands=tuple(bands), key_criteria=tuple(key), variants=variants,
        variant_for_kind=variant_for_kind, source=_source(sc, where),
    )


@lru_cache(maxsize=128)
def parse_stored(text: str) -> Rulebook:
    """parse() for texts that never change once stored (a rulebook version is immutable): every
    meeting of a province reads the same few versions, so each text is parsed once per process."""
    return parse(text)


def _oversight(rules: dict[str, Any], code: str) -> OversightRule:
    if "oversight" not in rules:
        return OversightRule()
    where = f"{code}.rules.oversight"
    ov = _section(rules, "oversight", f"{code}.rules")
    buckets = ov.get("attendance_buckets")
    if (
        not isinstance(buckets, list) or not buckets
        or any(not isinstance(b, int) or isinstance(b, bool) or not 0 < b < 100 for b in buckets)
        or buckets != sorted(set(buckets))
    ):
        raise RulebookError(f"{where}.attendance_buckets: phải là danh sách số nguyên tăng dần từ 1 đến 99 (đang là {buckets!r}).")
    return OversightRule(
        attendance_buckets=tuple(buckets),
        weak_cells_shown=_int(ov, "weak_cells_shown", where, minimum=1),
        source=_source(ov, where),
    )


def parse(text: str) -> Rulebook:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulebookError(f"Tệp không đúng định dạng YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RulebookError("Tệp bộ quy tắc phải là một bảng (mapping).")
    code = data.get("code")
    if not isinstance(code, str) or not code.strip():
        raise RulebookError("Thiếu mã bộ quy tắc (code).")
    code = code.strip()
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise RulebookError("Thiếu tên bộ quy tắc (name).")
    version = _int(data, "version", code, minimum=1)
    effective = data.get("effective_from")
    if effective is not None and not isinstance(effective, dt.date):
        raise RulebookError(f"{code}.effective_from: phải là ngày dạng yyyy-mm-dd.")
    rules = _section(data, "rules", code)
    w = f"{code}.rules"
    cs = _section(rules, "cell_structure", w)
    fr = _section(rules, "frequency", w)
    du = _section(rules, "duration", w)
    do = _section(rules, "documents", w)
    at = _section(rules, "attendance", w)
    vo = _section(rules, "vote", w)
    return Rulebook(
        code=code,
        version=version,
        name=name,
        effective_from=effective,
        cell_structure=CellStructureRule(
            min_full_members=_int(cs, "min_full_members", f"{w}.cell_structure"),
            committee_from_full_members=_int(cs, "committee_from_full_members", f"{w}.cell_structure"),
            min_committee_size=_int(cs, "min_committee_size", f"{w}.cell_structure"),
            source=_source(cs, f"{w}.cell_structure"),
        ),
        frequency=FrequencyRule(
            regular_per_month=_int(fr, "regular_per_month", f"{w}.frequency"),
            thematic_per_quarter=_int(fr, "thematic_per_quarter", f"{w}.frequency"),
            source=_source(fr, f"{w}.frequency"),
        ),
        duration=DurationRule(
            min_minutes=_int(du, "min_minutes", f"{w}.duration"),
            min_minutes_combined=_int(du, "min_minutes_combined", f"{w}.duration"),
            source=_source(du, f"{w}.duration"),
        ),
        documents=DocumentsRule(
            publish_days_before=_int(do, "publish_days_before", f"{w}.documents"),
            notify_upper_committee=_bool(do, "notify_upper_committee", f"{w}.documents"),
            source=_source(do, f"{w}.documents"),
        ),
        attendance=AttendanceRule(
            min_rate_percent=_number(at, "min_rate_percent", f"{w}.attendance", low=0, high=100),
            rate_must_exceed=_bool(at, "rate_must_exceed", f"{w}.attendance"),
            excluded_from_base=_names(at, "excluded_from_base", f"{w}.attendance", ATTENDANCE_EXCLUSIONS),
            max_unexcused=_int(at, "max_unexcused", f"{w}.attendance"),
            max_consecutive_excused=_int(at, "max_consecutive_excused", f"{w}.attendance"),
            source=_source(at, f"{w}.attendance"),
        ),
        vote=VoteRule(
            pass_fraction=_number(vo, "pass_fraction", f"{w}.vote", low=0, high=1),
            excluded_from_base=_names(vo, "excluded_from_base", f"{w}.vote", VOTE_EXCLUSIONS),
            probationary_may_vote=_bool(vo, "probationary_may_vote", f"{w}.vote"),
            source=_source(vo, f"{w}.vote"),
        ),
        agenda=_agenda(rules, code),
        scorecard=_scorecard(rules, code),
        raw=data,
        annual=_annual(rules, code),
        oversight=_oversight(rules, code),
    )


@lru_cache(maxsize=1)
def load_files() -> dict[str, Rulebook]:
    books: dict[str, Rulebook] = {}
    for path in sorted(RULEBOOK_DIR.glob("*.yaml")):
        try:
            book = parse(path.read_text(encoding="utf-8"))
        except RulebookError as exc:
            raise ImproperlyConfigured(f"Bộ quy tắc {path.name}: {exc}") from exc
        books[book.code] = book
    default = getattr(settings, "CHIBO_DEFAULT_RULEBOOK", DEFAULT_RULEBOOK)
    if default not in books:
        raise ImproperlyConfigured(f"Bộ quy tắc mặc định {default!r} không tồn tại.")
    return books


def load_all(variants: dict[str, int] | None = None) -> dict[str, Rulebook]:
    """Every rulebook in force: shipped files, overlaid by uploaded provincial variants (VARIANTS: the
    newest version of each, when the caller has read them: organisations.selectors.effective_rulebook)."""
    books = dict(load_files())
    try:
        from chibo.rules.models import uploaded_rulebooks

        books.update(uploaded_rulebooks(variants))
    except Exception:  # noqa: BLE001 - tables may not exist yet (migrate, start-up)
        pass
    return books


def get(code: str | None, version: int | None = None, *, variants: dict[str, int] | None = None) -> Rulebook:
    """The rulebook CODE (a specific VERSION if given and still stored), else the default (VARIANTS:
    as load_all)."""
    if version is not None and code:
        try:
            from chibo.rules.models import stored_version

            stored = stored_version(code, version)
            if stored is not None:
                return stored
        except Exception:  # noqa: BLE001
            pass
    books = load_all(variants)
    default = getattr(settings, "CHIBO_DEFAULT_RULEBOOK", DEFAULT_RULEBOOK)
    return books.get(code or default) or books[default]


# --- the member's year: annual rating (QĐ 366), cap, rating vote, cell year, dues (QĐ 342) --------
# These sections are added by the annual app. They travel together: a rulebook has all five or
# none (an older provincial variant without them inherits them from the default rulebook, see
# chibo.annual.selectors.annual_rules).
ANNUAL_SECTIONS = ("annual_rating", "excellent_cap", "rating_vote", "cell_year", "dues")
RATING_SUBJECTS = ("member", "cell")
RATING_CONDITIONS = frozenset({
    "done_percent", "exceeding_percent", "shortcomings_remedied_percent", "max_late_percent", "no_discipline",
})
GENDERS = ("nam", "nu")


@dataclass(frozen=True)
class RatingLevel:
    level: str
    label: str
    min: int
    conditions: dict[str, dict[str, Any]]  # subject -> {condition: value}


@dataclass(frozen=True)
class FrameCriterion:
    code: str
    title: str
    points: int


@dataclass(frozen=True)
class AnnualRatingRule:
    levels: tuple[RatingLevel, ...]
    frames: dict[str, tuple[FrameCriterion, ...]]  # subject -> criteria summing to 100
    source: str

    def label(self, level: str) -> str:
        return next((lv.label for lv in self.levels if lv.level == level), level)

    def rank(self, level: str) -> int:
        """0 for the highest level; unknown levels rank last."""
        codes = [lv.level for lv in self.levels]
        return codes.index(level) if level in codes else len(codes)


@dataclass(frozen=True)
class ExcellentCapRule:
    max_percent: Fraction | None  # None: no cap
    base_levels: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class VoteThreshold:
    fraction: Fraction
    at_least: bool  # True: in favour ≥ fraction × base; False: strictly more than


@dataclass(frozen=True)
class RatingVoteRule:
    thresholds: dict[str, VoteThreshold]  # level -> threshold; levels not listed need no vote
    source: str


@dataclass(frozen=True)
class CellYearGrade:
    grade: str
    label: str
    all_at_least: str | None
    min_top: int


@dataclass(frozen=True)
class CellYearRule:
    grades: tuple[CellYearGrade, ...]  # best first; the last one has no condition
    missing_month_counts_as: str
    source: str


@dataclass(frozen=True)
class DuesCategory:
    code: str
    label: str
    percent: Fraction | None  # of the base income; None for the fixed category
    fixed: bool
    halved_outside_working_age: bool


@dataclass(frozen=True)
class Retirement:
    base_year: int
    base_months: int
    step_months: int
    max_months: int

    def months_for(self, year: int) -> int:
        return min(self.max_months, self.base_months + max(0, year - self.base_year) * self.step_months)


@dataclass(frozen=True)
class DuesRule:
    categories: tuple[DuesCategory, ...]
    fixed_min: int
    fixed_max: int
    outside_working_age_factor: Fraction
    voluntary_needs_approval: bool
    min_working_age_years: int
    retirement: dict[str, Retirement]
    working_age_source: str
    source: str

    def category(self, code: str) -> DuesCategory | None:
        return next((c for c in self.categories if c.code == code), None)


@dataclass(frozen=True)
class AnnualRules:
    rating: AnnualRatingRule
    cap: ExcellentCapRule
    vote: RatingVoteRule
    cell_year: CellYearRule
    dues: DuesRule


def _fraction_text(value: Any, where: str, *, low: float = 0, high: float = 100) -> Fraction:
    try:
        number = Fraction(str(value)) if not isinstance(value, bool) else None
    except (ValueError, ZeroDivisionError):
        number = None
    if number is None or not low <= number <= high:
        raise RulebookError(f"{where}: phải là số (hoặc phân số như 2/3) từ {low} đến {high} (đang là {value!r}).")
    return number


def _frame(items: Any, where: str) -> tuple[FrameCriterion, ...]:
    if not isinstance(items, list) or not items:
        raise RulebookError(f"{where}: thiếu khung tiêu chí.")
    out = []
    for i, item in enumerate(items):
        w = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise RulebookError(f"{w}: tiêu chí phải có code, title, points.")
        out.append(FrameCriterion(code=_str(item, "code", w), title=_str(item, "title", w), points=_int(item, "points", w, minimum=1)))
    if len({c.code for c in out}) != len(out):
        raise RulebookError(f"{where}: mã tiêu chí bị trùng.")
    total = sum(c.points for c in out)
    if total != 100:
        raise RulebookError(f"{where}: tổng điểm khung phải là 100 (đang là {total}).")
    return tuple(out)


def _annual_rating(section: dict[str, Any], where: str) -> AnnualRatingRule:
    raw_levels = section.get("levels")
    if not isinstance(raw_levels, list) or len(raw_levels) < 2:
        raise RulebookError(f"{where}.levels: thiếu các mức xếp loại.")
    levels = []
    for i, item in enumerate(raw_levels):
        w = f"{where}.levels[{i}]"
        if not isinstance(item, dict):
            raise RulebookError(f"{w}: phải có level, label, min.")
        conditions: dict[str, dict[str, Any]] = {}
        for subject in RATING_SUBJECTS:
            cond = item.get(subject) or {}
            if not isinstance(cond, dict) or set(cond) - RATING_CONDITIONS:
                raise RulebookError(
                    f"{w}.{subject}: điều kiện chỉ được dùng {sorted(RATING_CONDITIONS)} (đang là {cond!r})."
                )
            parsed: dict[str, Any] = {}
            for key, value in cond.items():
                if key == "no_discipline":
                    if not isinstance(value, bool):
                        raise RulebookError(f"{w}.{subject}.no_discipline: phải là true hoặc false.")
                    parsed[key] = value
                else:
                    parsed[key] = _fraction_text(value, f"{w}.{subject}.{key}")
            conditions[subject] = parsed
        levels.append(RatingLevel(
            level=_str(item, "level", w), label=_str(item, "label", w), min=_int(item, "min", w), conditions=conditions,
        ))
    mins = [lv.min for lv in levels]
    if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins) or mins[-1] != 0 or mins[0] > 100:
        raise RulebookError(f"{where}.levels: điểm tối thiểu phải giảm dần, không quá 100 và mức cuối là 0.")
    if any(levels[-1].conditions.values()):
        raise RulebookError(f"{where}.levels: mức cuối cùng không được có điều kiện.")
    if len({lv.level for lv in levels}) != len(levels):
        raise RulebookError(f"{where}.levels: mã mức bị trùng.")
    frames = _section(section, "frames", where)
    return AnnualRatingRule(
        levels=tuple(levels),
        frames={s: _frame(frames.get(s), f"{where}.frames.{s}") for s in RATING_SUBJECTS},
        source=_source(section, where),
    )


def _annual(rules: dict[str, Any], code: str) -> AnnualRules | None:
    w = f"{code}.rules"
    present = [name for name in ANNUAL_SECTIONS if name in rules]
    if not present:
        return None
    for name in ANNUAL_SECTIONS:
        _section(rules, name, w)  # all five travel together
    rating = _annual_rating(rules["annual_rating"], f"{w}.annual_rating")
    level_codes = {lv.level for lv in rating.levels}

    cap_raw = rules["excellent_cap"]
    cw = f"{w}.excellent_cap"
    cap_value = cap_raw.get("max_percent_of_base")
    base_levels = cap_raw.get("base_levels", [])
    if not isinstance(base_levels, list) or not base_levels or set(base_levels) - level_codes:
        raise RulebookError(f"{cw}.base_levels: phải là danh sách mức trong {sorted(level_codes)}.")
    cap = ExcellentCapRule(
        max_percent=None if cap_value is None else _fraction_text(cap_value, f"{cw}.max_percent_of_base"),
        base_levels=tuple(base_levels), source=_source(cap_raw, cw),
    )

    vote_raw = rules["rating_vote"]
    vw = f"{w}.rating_vote"
    thresholds: dict[str, VoteThreshold] = {}
    for i, item in enumerate(vote_raw.get("required_for") or []):
        iw = f"{vw}.required_for[{i}]"
        if not isinstance(item, dict) or item.get("level") not in level_codes:
            raise RulebookError(f"{iw}.level: phải là một mức trong {sorted(level_codes)}.")
        thresholds[item["level"]] = VoteThreshold(
            fraction=_fraction_text(item.get("fraction"), f"{iw}.fraction", high=1),
            at_least=_bool(item, "at_least", iw),
        )
    vote = RatingVoteRule(thresholds=thresholds, source=_source(vote_raw, vw))

    cy_raw = rules["cell_year"]
    yw = f"{w}.cell_year"
    grade_codes = {b.grade for b in _scorecard(rules, code).bands}
    grades = []
    for i, item in enumerate(cy_raw.get("grades") or []):
        iw = f"{yw}.grades[{i}]"
        if not isinstance(item, dict):
            raise RulebookError(f"{iw}: phải có grade, label.")
        floor = item.get("all_at_least")
        if floor is not None and floor not in grade_codes:
            raise RulebookError(f"{iw}.all_at_least: phải là một mức của phiếu chấm {sorted(grade_codes)}.")
        grades.append(CellYearGrade(
            grade=_str(item, "grade", iw), label=_str(item, "label", iw), all_at_least=floor,
            min_top=_int(item, "min_top", iw) if "min_top" in item else 0,
        ))
    if len(grades) < 2 or grades[-1].all_at_least is not None or grades[-1].min_top:
        raise RulebookError(f"{yw}.grades: cần ít nhất hai mức; mức cuối không có điều kiện.")
    missing = cy_raw.get("missing_month_counts_as")
    if missing not in grade_codes:
        raise RulebookError(f"{yw}.missing_month_counts_as: phải là một mức của phiếu chấm {sorted(grade_codes)}.")
    cell_year = CellYearRule(grades=tuple(grades), missing_month_counts_as=missing, source=_source(cy_raw, yw))

    du = rules["dues"]
    dw = f"{w}.dues"
    categories = []
    for i, item in enumerate(du.get("categories") or []):
        iw = f"{dw}.categories[{i}]"
        if not isinstance(item, dict):
            raise RulebookError(f"{iw}: phải có code, label và percent hoặc fixed.")
        fixed = bool(item.get("fixed", False))
        if fixed == ("percent" in item):
            raise RulebookError(f"{iw}: mỗi đối tượng có đúng một cách tính: percent (tỷ lệ %) hoặc fixed: true (mức cố định).")
        categories.append(DuesCategory(
            code=_str(item, "code", iw), label=_str(item, "label", iw),
            percent=None if fixed else _fraction_text(item.get("percent"), f"{iw}.percent", high=100),
            fixed=fixed, halved_outside_working_age=bool(item.get("halved_outside_working_age", False)),
        ))
    if not categories or len({c.code for c in categories}) != len(categories):
        raise RulebookError(f"{dw}.categories: thiếu đối tượng đóng đảng phí hoặc mã bị trùng.")
    fixed_min = _int(du, "fixed_min", dw, minimum=1)
    fixed_max = _int(du, "fixed_max", dw, minimum=1)
    if fixed_min > fixed_max:
        raise RulebookError(f"{dw}: fixed_min ({fixed_min}) không được lớn hơn fixed_max ({fixed_max}).")
    wa = _section(du, "working_age", dw)
    ww = f"{dw}.working_age"
    ret_raw = _section(wa, "retirement", ww)
    retirement = {}
    for gender in GENDERS:
        r = _section(ret_raw, gender, f"{ww}.retirement")
        rw = f"{ww}.retirement.{gender}"
        retirement[gender] = Retirement(
            base_year=_int(r, "base_year", rw, minimum=1900), base_months=_int(r, "base_months", rw, minimum=1),
            step_months=_int(r, "step_months", rw), max_months=_int(r, "max_months", rw, minimum=1),
        )
        if retirement[gender].max_months < retirement[gender].base_months:
            raise RulebookError(f"{rw}.max_months: không được nhỏ hơn base_months.")
    dues = DuesRule(
        categories=tuple(categories), fixed_min=fixed_min, fixed_max=fixed_max,
        outside_working_age_factor=_fraction_text(du.get("outside_working_age_factor"), f"{dw}.outside_working_age_factor", high=1),
        voluntary_needs_approval=_bool(du, "voluntary_needs_approval", dw),
        min_working_age_years=_int(wa, "min_years", ww), retirement=retirement,
        working_age_source=_source(wa, ww), source=_source(du, dw),
    )
    return AnnualRules(rating=rating, cap=cap, vote=vote, cell_year=cell_year, dues=dues)

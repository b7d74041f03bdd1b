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


def load_all() -> dict[str, Rulebook]:
    """Every rulebook in force: shipped files, overlaid by uploaded provincial variants."""
    books = dict(load_files())
    try:
        from chibo.rules.models import uploaded_rulebooks

        books.update(uploaded_rulebooks())
    except Exception:  # noqa: BLE001 - tables may not exist yet (migrate, start-up)
        pass
    return books


def get(code: str | None, version: int | None = None) -> Rulebook:
    """The rulebook CODE (a specific VERSION if given and still stored), else the default."""
    if version is not None and code:
        try:
            from chibo.rules.models import stored_version

            stored = stored_version(code, version)
            if stored is not None:
                return stored
        except Exception:  # noqa: BLE001
            pass
    books = load_all()
    default = getattr(settings, "CHIBO_DEFAULT_RULEBOOK", DEFAULT_RULEBOOK)
    return books.get(code or default) or books[default]

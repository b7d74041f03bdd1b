"""Pure rules for the member's year: rating level, cap, rating vote, the cell's year grade, dues.

Every threshold comes from the rulebook (chibo.rules.loader.AnnualRules); nothing here knows
the ORM, so the boundaries are unit-tested directly (chibo/annual/tests/test_engine.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from chibo.rules.loader import (
    AnnualRatingRule,
    CellYearRule,
    DuesRule,
    ExcellentCapRule,
    RatingVoteRule,
)

CONDITION_TEXT = {
    "done_percent": "hoàn thành {need}% nhiệm vụ (đạt {have}%)",
    "exceeding_percent": "ít nhất {need}% nhiệm vụ vượt yêu cầu (đạt {have}%)",
    "shortcomings_remedied_percent": "khắc phục {need}% hạn chế đã chỉ ra trước đó (đạt {have}%)",
    "max_late_percent": "không quá {need}% nhiệm vụ chậm tiến độ (đang {have}%)",
    "no_discipline": "không có tổ chức, cá nhân bị kỷ luật",
}


def percent(part: int, whole: int) -> Fraction:
    """PART of WHOLE in percent; nothing to do counts as 100%."""
    return Fraction(100) if whole <= 0 else Fraction(100 * part, whole)


def fmt_pct(value: Fraction) -> str:
    text = f"{float(value):.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


@dataclass(frozen=True)
class RatingFacts:
    """What the rating rule looks at. Percentages are exact fractions (0–100)."""

    total: int
    tasks_total: int = 0
    tasks_done: int = 0
    tasks_exceeding: int = 0
    tasks_late: int = 0
    shortcomings_previous: int = 0
    shortcomings_remedied: int = 0
    disciplined: bool = False

    def value(self, condition: str) -> Fraction | bool:
        if condition == "done_percent":
            return percent(self.tasks_done, self.tasks_total)
        if condition == "exceeding_percent":
            return Fraction(0) if self.tasks_total <= 0 else percent(self.tasks_exceeding, self.tasks_total)
        if condition == "shortcomings_remedied_percent":
            return percent(self.shortcomings_remedied, self.shortcomings_previous)
        if condition == "max_late_percent":
            return Fraction(0) if self.tasks_total <= 0 else percent(self.tasks_late, self.tasks_total)
        if condition == "no_discipline":
            return not self.disciplined
        raise KeyError(condition)


@dataclass(frozen=True)
class Rating:
    level: str
    label: str
    missed: tuple[str, ...] = ()  # why a higher level was not reached (Vietnamese)


def _unmet(condition: str, need: Fraction | bool, facts: RatingFacts) -> str | None:
    have = facts.value(condition)
    if condition == "no_discipline":
        return None if (not need or have) else CONDITION_TEXT[condition]
    assert isinstance(have, Fraction) and isinstance(need, Fraction)
    ok = have <= need if condition == "max_late_percent" else have >= need
    if ok:
        return None
    return CONDITION_TEXT[condition].format(need=fmt_pct(need), have=fmt_pct(have))


def rate(rule: AnnualRatingRule, subject: str, facts: RatingFacts) -> Rating:
    """The highest level whose minimum score and conditions FACTS meet."""
    if not 0 <= facts.total <= 100:
        raise ValueError("Tổng điểm phải từ 0 đến 100.")
    missed: list[str] = []
    for level in rule.levels:
        if facts.total < level.min:
            continue
        reasons = [
            r
            for cond, need in level.conditions.get(subject, {}).items()
            if (r := _unmet(cond, need, facts)) is not None
        ]
        if not reasons:
            return Rating(level.level, level.label, tuple(missed))
        missed.append(f"Chưa đạt “{level.label}”: cần " + "; ".join(reasons) + ".")
    last = rule.levels[-1]
    return Rating(last.level, last.label, tuple(missed))


@dataclass(frozen=True)
class CapCheck:
    excellent: int
    base: int
    allowed: int | None  # None: no cap
    exceeded: bool
    message: str = ""


def check_cap(rule: ExcellentCapRule, levels: Iterable[str], *, top: str, label: str) -> CapCheck:
    """Is the share of TOP (xuất sắc) over the cap? Counts the levels given (proposed or final)."""
    levels = list(levels)
    excellent = sum(1 for lv in levels if lv == top)
    base = sum(1 for lv in levels if lv in rule.base_levels)
    if rule.max_percent is None:
        return CapCheck(excellent, base, None, False)
    allowed = int(rule.max_percent * base / 100)  # floor: "không quá"
    exceeded = excellent > allowed
    message = ""
    if exceeded:
        message = (
            f"Vượt tỷ lệ “{label}”: {excellent} người, trong khi tối đa {fmt_pct(rule.max_percent)}% của "
            f"{base} người được đề nghị từ mức “hoàn thành tốt” trở lên là {allowed} người."
        )
    return CapCheck(excellent, base, allowed, exceeded, message)


@dataclass(frozen=True)
class VoteCheck:
    required: bool
    needed: int | None = None
    passed: bool | None = None


def check_vote(rule: RatingVoteRule, level: str, *, in_favour: int | None, base: int) -> VoteCheck:
    """Does LEVEL need a vote, how many votes in favour does it need out of BASE full members."""
    threshold = rule.thresholds.get(level)
    if threshold is None:
        return VoteCheck(required=False)
    exact = threshold.fraction * base
    if threshold.at_least:
        needed = int(exact) if exact.denominator == 1 else int(exact) + 1
    else:
        needed = int(exact) + 1
    passed = None if in_favour is None else in_favour >= needed
    return VoteCheck(required=True, needed=needed, passed=passed)


@dataclass(frozen=True)
class CellYear:
    grade: str
    label: str
    counts: dict[str, int] = field(default_factory=dict)
    missing: int = 0


def cell_year_grade(rule: CellYearRule, monthly: Sequence[str | None], rank: dict[str, int]) -> CellYear:
    """Roll twelve monthly grades (None = no graded regular meeting) into the year's grade.

    RANK orders the scorecard grades, 0 = best (from the rulebook's bands)."""
    grades = [g if g else rule.missing_month_counts_as for g in monthly]
    counts: dict[str, int] = {}
    for g in grades:
        counts[g] = counts.get(g, 0) + 1
    missing = sum(1 for g in monthly if not g)
    top = min(rank, key=lambda g: rank[g])
    for option in rule.grades:
        if option.all_at_least is not None and any(
            rank.get(g, 99) > rank[option.all_at_least] for g in grades
        ):
            continue
        if option.min_top and counts.get(top, 0) < option.min_top:
            continue
        return CellYear(option.grade, option.label, counts, missing)
    last = rule.grades[-1]
    return CellYear(last.grade, last.label, counts, missing)


# --- dues ------------------------------------------------------------------------------------
def age_in_months(birth: dt.date, on: dt.date) -> int:
    months = (on.year - birth.year) * 12 + on.month - birth.month
    if on.day < birth.day:
        months -= 1
    return months


def outside_working_age(rule: DuesRule, *, birth: dt.date | None, gender: str, on: dt.date) -> bool:
    """Below the minimum working age, or at/after the retirement age of ON's year."""
    if birth is None:
        return False
    months = age_in_months(birth, on)
    if months < rule.min_working_age_years * 12:
        return True
    retirement = rule.retirement.get(gender)
    if retirement is None:
        return False
    return months >= retirement.months_for(on.year)


@dataclass(frozen=True)
class DuesDue:
    amount: int
    explanation: str
    halved: bool = False
    voluntary: bool = False


def _round(value: Fraction) -> int:
    return int(value + Fraction(1, 2))  # half up, to the đồng


def monthly_dues(
    rule: DuesRule,
    *,
    category: str,
    base: int,
    fixed: int | None = None,
    outside_age: bool = False,
    voluntary: int | None = None,
    voluntary_approved: bool = False,
) -> DuesDue:
    """The amount a member owes for one month under RULE."""
    cat = rule.category(category)
    if cat is None:
        raise ValueError(f"Không có đối tượng đóng đảng phí “{category}”.")
    if cat.fixed:
        level = fixed if fixed is not None else rule.fixed_min
        if not rule.fixed_min <= level <= rule.fixed_max:
            raise ValueError(
                f"Mức cố định phải từ {rule.fixed_min:,} đến {rule.fixed_max:,} đồng.".replace(",", ".")
            )
        amount = Fraction(level)
        text = f"mức cố định {level:,} đ".replace(",", ".")
    else:
        assert cat.percent is not None
        amount = Fraction(base) * cat.percent / 100
        text = f"{fmt_pct(cat.percent)}% × {base:,} đ".replace(",", ".")
    halved = outside_age and cat.halved_outside_working_age
    if halved:
        amount *= rule.outside_working_age_factor
        text += f" × {fmt_pct(rule.outside_working_age_factor * 100)}% (ngoài độ tuổi lao động)"
    due = _round(amount)
    if (
        voluntary is not None
        and voluntary > due
        and (voluntary_approved or not rule.voluntary_needs_approval)
    ):
        return DuesDue(
            voluntary, f"tự nguyện đóng cao hơn ({text} = {due:,} đ)".replace(",", "."), halved, True
        )
    return DuesDue(due, text, halved)

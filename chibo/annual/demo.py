"""Demo data for the member's year, called from seed_demo after the meeting history.

For the demo year (the year holding most of the twelve months of meeting history) it adds:
dues profiles matching what members paid at the meetings (some outside working age, one
voluntary higher amount approved by the chi ủy), a late payment, monthly remittances (older ones
confirmed by the commune), every member's commitment (most approved, a few still in draft),
shortcomings raised in the previous year (some remedied, some open with follow-up notes) and in
a thematic meeting, and the year-end review round of Chi bộ thôn 1 opened with some
self-assessments written — so a year-end review can be run in the demo from there.

Idempotent: everything is looked up before it is created.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from chibo.annual import engine, selectors, services
from chibo.annual.models import (
    Commitment,
    CommitmentStatus,
    DuesPayment,
    DuesProfile,
    FollowUp,
    Remittance,
    ReviewRound,
    ReviewStatus,
    Shortcoming,
)
from chibo.meetings.models import Meeting, MeetingKind
from chibo.members.models import Member
from chibo.organisations.models import Organisation

# What each cell's members paid at the meetings (chibo.core.demo_history profiles).
PAID = {
    "DEMO-AB-T1": (5_000, 5_000, 10_000, 30_000, 50_000),
    "DEMO-AB-T2": (5_000, 5_000, 10_000, 20_000, 40_000),
    "DEMO-HL-TH": (55_000, 65_000, 75_000, 90_000),
}
COMMITMENT = {
    "political": "Kiên định lập trường, chấp hành nghiêm chủ trương của Đảng, pháp luật của Nhà nước; "
    "tham gia đầy đủ các buổi học tập nghị quyết.",
    "ethical": "Giữ gìn lối sống giản dị, gương mẫu ở khu dân cư; không vi phạm những điều đảng viên không được làm.",
    "professional": "Hoàn thành kế hoạch công việc được giao trong năm; học thêm về ứng dụng công nghệ số.",
    "assigned_tasks": "Dự đủ 12 kỳ sinh hoạt; đóng đảng phí đầy đủ hằng tháng; phụ trách vận động {n} hộ trong xóm.",
}
PREVIOUS = {  # shortcomings raised in last year's review: (member, text, remedied?)
    "DEMO-AB-T1": [
        ("Đặng Văn Tuấn", "Tham gia sinh hoạt chưa đều, có tháng vắng không báo trước.", False),
        ("Ngô Thị Nga", "Chậm báo cáo kết quả vận động bảo hiểm y tế.", True),
        ("Trịnh Văn Sơn", "Ít phát biểu ý kiến trong các buổi sinh hoạt.", False),
    ],
    "DEMO-AB-T2": [("Cao Văn Toàn", "Chưa hoàn thành việc vận động hộ gia đình hiến đất làm đường.", False)],
}
CELL_PREVIOUS = {
    "DEMO-AB-T1": "Nội dung sinh hoạt có lúc còn dàn trải, chưa tập trung vào việc khó của thôn."
}


def demo_year(today: dt.date) -> int:
    """The year holding most of the twelve months before TODAY."""
    k = today.year * 12 + today.month - 1 - 6
    return k // 12


def _outside(member: Member, rules: Any, on: dt.date) -> bool:
    return engine.outside_working_age(rules.dues, birth=member.birth_date, gender=member.gender, on=on)


def build(
    *,
    cells: dict[str, Organisation],
    members: dict[str, dict[str, Member]],
    users: dict[str, Any],
    today: dt.date | None = None,
) -> int:
    today = today or timezone.localdate()
    year = demo_year(today)
    created = 0
    officer = users.get("danguy.anbinh")
    for code, cell in cells.items():
        actor = users.get({"DEMO-AB-T1": "bithu.thon1", "DEMO-AB-T2": "bithu.thon2"}.get(code, "admin"))
        rules = selectors.rules_for_cell(cell)
        people = members[code]
        created += _dues(
            cell,
            code,
            people,
            rules,
            actor,
            officer if code != "DEMO-HL-TH" else users.get("danguy.hoalac"),
            today,
            year,
        )
        created += _commitments(people, actor, year, users)
        created += _previous_shortcomings(cell, code, people, actor, year)
    created += _thematic_shortcoming(cells["DEMO-AB-T1"], members["DEMO-AB-T1"], year)
    created += _round(cells["DEMO-AB-T1"], members["DEMO-AB-T1"], users, year, today)
    return created


def _dues(
    cell: Organisation,
    code: str,
    people: dict[str, Member],
    rules: Any,
    actor: Any,
    officer: Any,
    today: dt.date,
    year: int,
) -> int:
    created = 0
    amounts = PAID[code]
    # Profiles valid from the start of the year before, so every month of the meeting history is priced.
    since = dt.date(year - 1, 1, 1)
    retired = False
    for name, member in people.items():
        if DuesProfile.objects.filter(member=member).exists():
            continue
        paid = amounts[sum(map(ord, name)) % len(amounts)]
        outside = _outside(member, rules, today)
        if name == "Lê Văn Tâm":  # pays more than the rate, with the chi ủy's consent
            profile = services.set_dues_profile(
                actor=actor,
                member=member,
                category="khac",
                fixed_amount=10_000,
                voluntary_amount=paid,
                valid_from=since,
            )
            services.approve_voluntary(actor=actor, profile=profile)
        elif paid <= rules.dues.fixed_max and not outside:
            services.set_dues_profile(
                actor=actor, member=member, category="khac", fixed_amount=paid, valid_from=since
            )
        elif outside and paid * 2 <= rules.dues.fixed_max:  # outside working age: half the fixed amount
            services.set_dues_profile(
                actor=actor, member=member, category="khac", fixed_amount=paid * 2, valid_from=since
            )
        elif paid <= rules.dues.fixed_max:
            services.set_dues_profile(
                actor=actor, member=member, category="huu_tri", base_income=paid * 200, valid_from=since
            )
        else:
            services.set_dues_profile(
                actor=actor, member=member, category="luong", base_income=paid * 100, valid_from=since
            )
            if not retired and today >= dt.date(year, 7, 1):
                # Retired in July: a pension at twice the base, 0.5% instead of 1% — the history shows
                # the change from July while January–June keep the salary-based profile.
                services.set_dues_profile(
                    actor=actor,
                    member=member,
                    category="huu_tri",
                    base_income=paid * 200,
                    valid_from=dt.date(year, 7, 1),
                )
                retired = True
                created += 1
        created += 1
    # One late payment: the first month someone in the cell did not pay at the meeting.
    ledger = selectors.dues_ledger(cell, year, today=today)
    if not DuesPayment.objects.filter(organisation=cell, year=year).exists():
        for row in ledger.rows:
            if row.unpaid_months and row.profile is not None:
                month = row.unpaid_months[0]
                due = next(c.due for c in row.months if c.month == month)
                paid_on = min(today, dt.date(year, month, 28) + dt.timedelta(days=10))
                services.record_payment(
                    actor=actor,
                    member=row.member,
                    year=year,
                    month=month,
                    amount=due or 0,
                    paid_on=paid_on,
                    note="Nộp bù tại nhà bí thư",
                )
                created += 1
                break
    # Members exempted from meetings pay at home: the secretary records it each month.
    for row in ledger.rows:
        if row.member.is_exempt() and not DuesPayment.objects.filter(member=row.member, year=year).exists():
            for cell_month in row.months:
                if cell_month.due and cell_month.paid < cell_month.due:
                    services.record_payment(
                        actor=actor,
                        member=row.member,
                        year=year,
                        month=cell_month.month,
                        amount=cell_month.due,
                        paid_on=min(today, dt.date(year, cell_month.month, 20)),
                        note="Thu tại nhà (miễn sinh hoạt)",
                    )
                    created += 1
    # Remittances of the months before this one; the commune confirmed all but the last two.
    ledger = selectors.dues_ledger(cell, year, today=today)
    last = 12 if year < today.year else today.month - 1
    for month in range(1, last + 1):
        amount = ledger.month_paid.get(month, 0)
        if amount <= 0 or Remittance.objects.filter(organisation=cell, year=year, month=month).exists():
            continue
        remitted_on = min(today, dt.date(year, month, 28))
        rem = services.record_remittance(
            actor=actor, cell=cell, year=year, month=month, amount=amount, remitted_on=remitted_on
        )
        created += 1
        if month <= last - 2 and officer is not None:
            services.confirm_remittance(actor=officer, remittance=rem)
    return created


def _commitments(people: dict[str, Member], actor: Any, year: int, users: dict[str, Any]) -> int:
    created = 0
    for n, (_name, member) in enumerate(sorted(people.items())):
        if Commitment.objects.filter(member=member, year=year).exists():
            continue
        c = services.start_commitment(actor=None, member=member, year=year)
        created += 1
        if n % 5 == 4:
            continue  # still a draft from the template
        fields = {k: v.format(n=5 + n) for k, v in COMMITMENT.items()}
        services.save_commitment(actor=None, commitment=c, submit=True, **fields)
        if n % 7 != 3:
            services.approve_commitment(actor=actor, commitment=c)
            Commitment.objects.filter(pk=c.pk).update(
                approved_at=timezone.make_aware(dt.datetime(year, 1, 20, 9, 0))
            )
    return created


def _previous_shortcomings(
    cell: Organisation, code: str, people: dict[str, Member], actor: Any, year: int
) -> int:
    created = 0
    secretary = next((m for m in people.values() if m.party_position == "bi_thu"), None)
    for name, text, remedied in PREVIOUS.get(code, []):
        member = people.get(name)
        if member is None or Shortcoming.objects.filter(member=member, text=text).exists():
            continue
        s = services.raise_shortcoming(
            actor=actor,
            cell=cell,
            member=member,
            raised_by=secretary,
            text=text,
            year=year - 1,
            remedy_plan="Tự sửa chữa, báo cáo tiến độ với chi bộ hằng quý.",
            remedy_due=dt.date(year, 6, 30),
        )
        services.add_follow_up(
            actor=actor, shortcoming=s, note="Quý I: đã có chuyển biến, chi bộ tiếp tục theo dõi."
        )
        if remedied:
            services.confirm_remedied(actor=actor, shortcoming=s, note="Chi bộ thống nhất đã khắc phục.")
        created += 1
    text = CELL_PREVIOUS.get(code)
    if text and not Shortcoming.objects.filter(organisation=cell, member=None, text=text).exists():
        services.raise_shortcoming(
            actor=actor,
            cell=cell,
            raised_by_name="Đảng ủy xã (thông báo kết quả kiểm điểm)",
            text=text,
            year=year - 1,
            remedy_plan="Chi ủy họp trước, chọn một việc trọng tâm mỗi kỳ.",
        )
        created += 1
    return created


def _thematic_shortcoming(cell: Organisation, people: dict[str, Member], year: int) -> int:
    """Criticism raised in a thematic meeting of the year (recorded as history: the meeting's
    minutes were approved afterwards, so the row is written directly)."""
    meeting = (
        Meeting.objects.filter(organisation=cell, kind=MeetingKind.THEMATIC, scheduled_at__year=year)
        .order_by("scheduled_at")
        .first()
    )
    member = people.get("Hoàng Văn Long")
    raiser = people.get("Lê Thị Hồng")
    text = "Chưa gương mẫu vận động gia đình thực hiện nếp sống văn minh trong việc cưới."
    if meeting is None or member is None or Shortcoming.objects.filter(text=text).exists():
        return 0
    s = Shortcoming.objects.create(
        organisation=cell,
        member=member,
        year=year,
        text=text,
        raised_by=raiser,
        meeting=meeting,
        remedy_plan="Cam kết trước chi bộ; tổ đảng theo dõi.",
        remedy_due=dt.date(year, 12, 31),
        created_at=meeting.scheduled_at,
    )
    FollowUp.objects.create(shortcoming=s, note="Tổ đảng ghi nhận đã vận động gia đình tổ chức gọn nhẹ.")
    return 1


def _round(
    cell: Organisation, people: dict[str, Member], users: dict[str, Any], year: int, today: dt.date
) -> int:
    """The year-end review of Chi bộ thôn 1, opened, with some self-assessments already written."""
    if ReviewRound.objects.filter(organisation=cell, year=year).exists():
        return 0
    actor = users.get("bithu.thon1")
    rnd = services.open_round(actor=actor, cell=cell, year=year, today=today)
    frame = selectors.rules_for_round(rnd).rating.frames["member"]
    waiting = {"Trần Thị Lan"}  # the demo member account writes her own
    for n, r in enumerate(
        rnd.reviews.select_related("member").exclude(member=None).order_by("member__sort_key")
    ):
        if r.member.full_name in waiting or n % 3 == 2:
            continue
        top = n % 4 == 0
        scores = {c.code: c.points - (0 if top else max(1, c.points // 5)) for c in frame}
        services.save_self_assessment(
            actor=None,
            review=r,
            scores=scores,
            submit=True,
            strengths="Giữ vững lập trường, tham gia đầy đủ các phong trào của thôn.",
            weaknesses="Có lúc chưa chủ động đề xuất, báo cáo kết quả còn chậm.",
            remedy="Chủ động hơn, báo cáo đúng hạn với chi bộ.",
        )
    assert rnd.reviews.filter(status=ReviewStatus.SELF_SUBMITTED).exists()
    return 1 + rnd.reviews.count()


def counts() -> dict[str, int]:
    """What the demo holds (for the seed test)."""
    return {
        "profiles": DuesProfile.objects.count(),
        "commitments": Commitment.objects.filter(status=CommitmentStatus.APPROVED).count(),
        "shortcomings": Shortcoming.objects.count(),
        "rounds": ReviewRound.objects.count(),
    }

"""seed_demo builds the demo province the README promises, once, with a year of meetings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from chibo.accounts.models import User
from chibo.core import demo_history
from chibo.meetings import selectors as meeting_selectors
from chibo.meetings.models import (
    AnnualPlan,
    Attendance,
    AttendanceStatus,
    DocumentKind,
    Guest,
    Meeting,
    MeetingKind,
    MeetingStatus,
    ScoreColumn,
    ScoreSheet,
    Speech,
    Task,
    TaskStatus,
    Vote,
)
from chibo.members.models import Member, MemberStatus
from chibo.organisations import selectors
from chibo.organisations.models import Organisation

pytestmark = pytest.mark.django_db
CELLS = ("Chi bộ thôn 1", "Chi bộ thôn 2", "Chi bộ Trường Tiểu học")


def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")


def counts() -> dict[str, int]:
    models = (
        Organisation,
        Member,
        User,
        AnnualPlan,
        Meeting,
        Attendance,
        Speech,
        Task,
        Vote,
        ScoreSheet,
        Guest,
    )
    out = {model.__name__: model.objects.count() for model in models}
    out["approved"] = Meeting.objects.filter(status=MeetingStatus.APPROVED).count()
    out["published"] = Meeting.objects.filter(status=MeetingStatus.PUBLISHED).count()
    return out


def test_seed_demo_builds_the_demo_and_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    before = counts()
    call_command("seed_demo")
    assert counts() == before
    thon1 = Organisation.objects.get(name="Chi bộ thôn 1")
    thon2 = Organisation.objects.get(name="Chi bộ thôn 2")
    school = Organisation.objects.get(name="Chi bộ Trường Tiểu học")
    assert thon1.parent.name == "Đảng ủy xã An Bình" and school.parent.name == "Đảng ủy xã Hòa Lạc"
    assert thon1.children.count() == 2
    assert Member.objects.filter(organisation=thon1).count() == 15
    assert Member.objects.filter(organisation=thon1, status=MemberStatus.PROBATIONARY).count() == 1
    assert sum(m.is_exempt() for m in Member.objects.filter(organisation=thon1)) == 1
    assert Member.objects.filter(organisation=thon2).count() == 9
    assert Member.objects.filter(organisation=school).count() == 7
    assert selectors.structure_warnings(thon1) == [] and selectors.structure_warnings(thon2) == []
    assert selectors.birthdays_of_month(thon1)
    for name in ["admin", "bithu.thon1", "dangvien.thon1", "bithu.thon2", "danguy.anbinh", "danguy.hoalac"]:
        assert User.objects.get(username=name).check_password("chibo-demo")
    assert_history(timezone.localdate())
    assert_bulletin(thon1, thon2)


def assert_bulletin(thon1: Organisation, thon2: Organisation) -> None:
    """News pushed by the commune reaches both cells; thôn 1's next meeting has a 5-item bulletin."""
    from chibo.bulletin import selectors as news
    from chibo.bulletin.demo import LOCAL, PUSHED
    from chibo.bulletin.models import Entry

    nxt = Meeting.objects.filter(organisation=thon1, status=MeetingStatus.PUBLISHED).order_by("scheduled_at").first()
    assert nxt is not None
    titles = list(Entry.objects.filter(bulletin__meeting=nxt).values_list("title", flat=True))
    assert sorted(titles) == sorted(t for _, t, _ in PUSHED + LOCAL)
    assert Entry.objects.filter(bulletin__meeting__organisation=thon2).count() == 0
    pushed = {t for _, t, _ in PUSHED}
    assert pushed <= set(news.items_for_cell(thon2).values_list("title", flat=True))


def assert_history(today: dt.date) -> None:  # noqa: C901 - one assertion per item of the demo's list
    """Every item the demo promises, read back from the database."""
    months = demo_history.window(today)
    first = dt.date(*months[0], 1)
    approved = Meeting.objects.filter(status=MeetingStatus.APPROVED)

    for name in CELLS:
        cell = Organisation.objects.get(name=name)
        held = approved.filter(organisation=cell)
        # A plan per year, one regular (or combined) meeting every month of the window, approved.
        for year in {y for y, _ in months}:
            assert AnnualPlan.objects.filter(organisation=cell, year=year).exists()
        for year, month in months:
            assert (
                held.filter(
                    kind__in=[MeetingKind.REGULAR, MeetingKind.COMBINED],
                    scheduled_at__year=year,
                    scheduled_at__month=month,
                ).count()
                == 1
            ), (name, year, month)
        # A thematic meeting every quarter the window touches, its topic with a presenter.
        for year, quarter in {(y, demo_history.quarter_of(m)) for y, m in months}:
            thematic = held.filter(
                kind=MeetingKind.THEMATIC,
                scheduled_at__year=year,
                scheduled_at__month__in=[3 * quarter - 2, 3 * quarter - 1, 3 * quarter],
            )
            assert thematic.count() == 1, (name, year, quarter)
            topic = thematic.get().topic
            assert topic.presenter_id or topic.presenter_group_id
            assert thematic.get().snapshot["scores"]["cell"]["entries"]["presenter"] == 10
        # Realistic roll calls: the exempt member is pre-marked, the probationary one does not vote.
        for m in held.filter(scheduled_at__date__gte=first):
            assert m.attendance.filter(status="").count() == 0
            assert m.fig_present >= m.fig_base - 2
            assert m.documents.exists() and m.published_at < m.scheduled_at
            assert m.items.filter(started_at__isnull=False).count() == m.items.count()
            assert m.speeches.exists() and m.votes.filter(closed_at__isnull=False).exists()
            assert m.fig_duration == meeting_selectors.duration_minutes(m)
        assert (
            Attendance.objects.filter(meeting__in=held, is_exempt=True)
            .exclude(status=AttendanceStatus.EXEMPT)
            .count()
            == 0
        )

    thon1 = Organisation.objects.get(name="Chi bộ thôn 1")
    probationary = Member.objects.get(organisation=thon1, status=MemberStatus.PROBATIONARY)
    rows = Attendance.objects.filter(member=probationary, meeting__status=MeetingStatus.APPROVED)
    assert rows.exists() and all(r.status == AttendanceStatus.PRESENT for r in rows)
    assert not any(
        probationary.pk in v.eligible_ids for v in Vote.objects.filter(meeting__organisation=thon1)
    )
    assert Attendance.objects.filter(meeting__organisation=thon1, status=AttendanceStatus.EXEMPT).exists()

    # One combined regular + thematic meeting, long enough for HD 42 (≥ 120 minutes).
    combined = approved.get(kind=MeetingKind.COMBINED)
    assert combined.fig_duration >= 120 and "duration" not in {
        b["code"] for b in combined.snapshot["breaches"]
    }
    # A meeting under 90 minutes: the duration breach.
    short = approved.filter(fig_duration__lt=90, kind=MeetingKind.REGULAR).first()
    assert short is not None and "duration" in {b["code"] for b in short.snapshot["breaches"]}
    # Unexcused absences.
    assert Attendance.objects.filter(meeting__in=approved, status=AttendanceStatus.ABSENT_UNEXCUSED).exists()
    # One member excused four meetings in a row, within one calendar year (the rule's breach).
    runs = [
        max(meeting_selectors.excused_runs(m).values(), default=0)
        for m in approved.filter(organisation=thon1)
    ]
    assert max(runs) == 4
    assert any("consecutive_excused" in {b["code"] for b in m.snapshot["breaches"]} for m in approved)
    # Tasks: reported done at a later meeting, and some still open.
    done = Task.objects.filter(status=TaskStatus.DONE)
    assert done.exists() and Task.objects.filter(status=TaskStatus.OPEN).exists()
    assert all(
        t.reports.filter(done=True, meeting__scheduled_at__gt=t.meeting.scheduled_at).exists() for t in done
    )
    # A failed vote: in favour not more than half of the eligible members.
    failed = Vote.objects.get(passed=False)
    assert failed.in_favour * 2 <= failed.eligible_count and failed.meeting.status == MeetingStatus.APPROVED
    # Grades from Tốt to Trung bình.
    assert {"tot", "kha", "trung_binh"} <= set(approved.values_list("fig_grade", flat=True))
    # An upper-level officer attended sometimes, and scored the upper column as danguy.anbinh.
    assert Guest.objects.filter(is_upper_officer=True, name="Phạm Văn Đông").exists()
    assert ScoreSheet.objects.filter(column=ScoreColumn.UPPER, scorer__username="danguy.anbinh").exists()

    # Next month's meeting of Chi bộ thôn 1: planned, prepared, published ≥ 1 day before, not started.
    upcoming = meeting_selectors.upcoming_for_cell(thon1)
    assert upcoming is not None and upcoming.plan is not None
    assert upcoming.status == MeetingStatus.PUBLISHED and upcoming.started_at is None
    assert not upcoming.items.exists()
    days = (timezone.localtime(upcoming.scheduled_at).date() - today).days
    assert 7 <= days <= 30
    assert upcoming.preparer_id and upcoming.pre_meeting_at and upcoming.chair_id and upcoming.secretary_id
    assert upcoming.documents.filter(kind=DocumentKind.DRAFT_RESOLUTION).exists()
    assert upcoming.published_at <= upcoming.scheduled_at - dt.timedelta(days=1)
    doc = upcoming.documents.get(kind=DocumentKind.DRAFT_RESOLUTION)
    with doc.file.open("rb") as f:
        data = f.read()
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")


def test_demo_officers_see_only_their_commune_and_every_demo_page_renders(client, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    thon1 = Organisation.objects.get(name="Chi bộ thôn 1")
    client.force_login(User.objects.get(username="danguy.anbinh"))
    assert client.get(f"/to-chuc/{thon1.pk}/").status_code == 200
    client.force_login(User.objects.get(username="danguy.hoalac"))
    assert client.get(f"/to-chuc/{thon1.pk}/").status_code == 404
    # The history renders: lists, plans, every record and the upcoming meeting.
    client.force_login(User.objects.get(username="admin"))
    assert client.get("/sinh-hoat/").status_code == 200
    for plan in AnnualPlan.objects.all():
        assert client.get(f"/sinh-hoat/ke-hoach/{plan.organisation_id}/{plan.year}/").status_code == 200
    for meeting in Meeting.objects.exclude(status=MeetingStatus.PLANNED):
        assert client.get(f"/sinh-hoat/{meeting.pk}/").status_code == 200, meeting


def test_demo_gives_the_commune_officer_oversight_records(settings):
    """danguy.anbinh opens the demo and finds guidance, his rota, an inspection and a model meeting."""
    from chibo.oversight.models import (
        Guidance,
        InspectionProgramme,
        ModelMeeting,
        OfficerVisit,
        PeerPairing,
        Recommendation,
    )

    settings.DEBUG = True
    call_command("seed_demo")
    an_binh = Organisation.objects.get(name="Đảng ủy xã An Bình")
    guidance = Guidance.objects.get(committee=an_binh)
    assert guidance.published_at is not None and guidance.items.count() == 2
    visit = OfficerVisit.objects.get(committee=an_binh)
    assert visit.officer.username == "danguy.anbinh" and visit.cell.name == "Chi bộ thôn 1"
    assert (visit.year, visit.month) == (guidance.year, guidance.month)
    assert PeerPairing.objects.filter(committee=an_binh).count() == 1
    programme = InspectionProgramme.objects.get(committee=an_binh)
    assert Recommendation.objects.filter(item__programme=programme).count() == 1
    model = ModelMeeting.objects.get(committee=an_binh)
    assert model.meeting.organisation.name == "Chi bộ thôn 1" and model.meeting.status == "approved"

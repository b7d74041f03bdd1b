"""The synthetic province: reproducible, shaped like real data, figures as approval computes them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from chibo.meetings.models import Attendance, Meeting, MeetingStatus, ScoreColumn
from chibo.meetings.selectors import judge, snapshot
from chibo.members.models import Member, Membership, MemberStatus
from chibo.ops.province import ProvinceGenerator
from chibo.organisations.models import Organisation, OrgKind

pytestmark = pytest.mark.django_db
UNTIL = dt.date(2026, 10, 31)


class Rollback(Exception):
    pass


def fingerprint(code: str) -> list[tuple]:
    orgs = list(Organisation.objects.filter(code__startswith=code).order_by("code").values_list("code", "name", "kind", "depth"))
    members = list(Member.objects.filter(card_number__startswith=code).order_by("card_number").values_list(
        "card_number", "full_name", "status", "organisation__code", "exempt_from", "left_at"))
    meetings = list(Meeting.objects.filter(organisation__code__startswith=code).order_by("organisation__code", "scheduled_at").values_list(
        "organisation__code", "kind", "scheduled_at", "fig_base", "fig_present", "fig_duration", "fig_speakers", "fig_score", "fig_grade"))
    attendance = list(Attendance.objects.filter(meeting__organisation__code__startswith=code).order_by(
        "meeting__organisation__code", "meeting__scheduled_at", "member__card_number").values_list("member__card_number", "status"))
    return [orgs, members, meetings, attendance]


def test_same_seed_same_province_other_seed_other_province():
    with pytest.raises(Rollback), transaction.atomic():
        ProvinceGenerator(cells=4, years=1, seed=11, until=UNTIL).run()
        first = fingerprint("gp11")
        raise Rollback
    ProvinceGenerator(cells=4, years=1, seed=11, until=UNTIL).run()
    assert fingerprint("gp11") == first
    assert first[1] and first[2] and first[3]
    ProvinceGenerator(cells=4, years=1, seed=12, until=UNTIL).run()
    other = fingerprint("gp12")
    assert [m[1] for m in other[1]] != [m[1] for m in first[1]]


def test_shape_of_the_province():
    stats = ProvinceGenerator(cells=30, years=1, seed=7, until=UNTIL, accounts=True, password="mật-khẩu-dài").run()
    province = Organisation.objects.get(code="gp7")
    assert province.kind == OrgKind.PROVINCE and province.depth == 0
    cells = Organisation.objects.filter(code__startswith="gp7-", kind=OrgKind.CELL)
    assert cells.count() == 30 == stats.cells
    assert Organisation.objects.filter(code__startswith="gp7-", kind=OrgKind.COMMUNE).count() == 2
    # Paths are materialised: everything is under the province prefix, at the right depth.
    assert Organisation.objects.filter(path__startswith=province.path).count() == 1 + 2 + 30 + stats.groups
    for cell in cells[:5]:
        assert cell.path == f"{cell.parent.path}{cell.pk}/" and cell.depth == 2
    members = Member.objects.filter(card_number__startswith="gp7-")
    assert members.count() == stats.members > 30 * 5
    assert members.filter(status=MemberStatus.PROBATIONARY).exists()
    assert members.filter(exempt_from__isnull=False).exists()
    # Moves keep the history: an ended membership in another cell.
    moved = Membership.objects.filter(member__in=members, end__isnull=False).exclude(note="")
    assert moved.exists()
    for ms in moved[:3]:
        assert ms.organisation_id != ms.member.organisation_id
    # Meetings: a regular meeting every month, a thematic one every quarter (or combined).
    m_per_cell = Meeting.objects.filter(organisation=cells[0]).count()
    assert 12 <= m_per_cell <= 16
    assert not Meeting.objects.filter(organisation__in=cells).exclude(status=MeetingStatus.APPROVED).exists()
    assert Meeting.objects.filter(organisation__in=cells, fig_breaches__gt=0).exists()
    assert len({g for g in Meeting.objects.filter(organisation__in=cells).values_list("fig_grade", flat=True)}) >= 2
    # Accounts: a secretary per cell (with the bí thư role), an officer per commune, an admin.
    assert stats.users == 30 + 2 + 1


def test_figures_are_what_approval_would_compute():
    """For the last meeting of each cell (tasks as they stood then), judge() agrees with the frozen figures."""
    ProvinceGenerator(cells=6, years=1, seed=21, until=UNTIL).run()
    for cell in Organisation.objects.filter(code__startswith="gp21-", kind=OrgKind.CELL):
        meetings = list(Meeting.objects.filter(organisation=cell).order_by("scheduled_at"))
        for m in meetings[-1:] + meetings[:2]:
            v = judge(m)
            assert (m.fig_base, m.fig_present, m.fig_excused, m.fig_unexcused) == (
                v.attendance.base, v.attendance.present, v.attendance.excused, v.attendance.unexcused)
            assert m.fig_duration == v.facts.duration_minutes
            assert m.fig_speakers == v.facts.speakers
            assert m.fig_breaches == len(v.breaches)
            assert m.snapshot["breaches"] == [{"code": b.code, "message": b.message} for b in v.breaches]
            assert m.fig_score == v.cell_grade.total and m.fig_grade == v.cell_grade.band.grade
            frozen = snapshot(m, v)  # what approval would freeze: the per-member roll call the dashboards read
            assert m.snapshot["attendance"] == frozen["attendance"]
            assert m.snapshot["votes"] == frozen["votes"]
            assert m.snapshot["excused_runs"] == frozen["excused_runs"]
        last = meetings[-1]
        v = judge(last)
        sheet = last.scores.get(column=ScoreColumn.CELL)
        for code, points in v.auto.items():
            if points is not None:
                assert sheet.entries[code] == points, (last, code)


def test_command_refuses_unclear_input(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("gen_province", "--cells", "2")
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("gen_province", "--cells", "2", "--until", "10/2026", "--force")
    with pytest.raises(CommandError, match="mật khẩu|password"):
        call_command("gen_province", "--cells", "2", "--accounts", "--force")
    with pytest.raises(CommandError, match="từ 1"):
        call_command("gen_province", "--cells", "0", "--force")
    call_command("gen_province", "--cells", "2", "--seed", "5", "--until", "2026-06", "--force")
    with pytest.raises(CommandError, match="hạt giống 5"):
        call_command("gen_province", "--cells", "2", "--seed", "5", "--until", "2026-06", "--force")

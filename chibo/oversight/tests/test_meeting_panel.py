"""The upper committee's panel on the meeting page ({% oversight_panel %}): the officer's visit,
the peer pairing and the model-meeting mark show when they exist (one query asks for all three)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chibo.oversight import services
from chibo.oversight.tests.helpers import approved, past, published
from conftest import client_for

pytestmark = pytest.mark.django_db

VISIT = "Bạn được phân công dự buổi sinh hoạt này."
PAIRING = "được phân công chấm chéo buổi này."
MODEL = "Buổi sinh hoạt mẫu</a>"


def test_the_officers_visit_and_the_peer_pairing_show_once_assigned(client, world):
    m = published(world.cell1)
    when = timezone.localtime(m.scheduled_at)
    for user in (world.officer, world.admin):
        page = client_for(client, user).get(f"/sinh-hoat/{m.pk}/").content.decode()
        assert VISIT not in page and PAIRING not in page
    visit = services.assign_officer(
        actor=world.admin, committee=world.an_binh, officer=world.officer, cell=world.cell1,
        year=when.year, month=when.month,
    )
    pairing = services.pair_cells(
        actor=world.admin, committee=world.an_binh, year=when.year, month=when.month,
        scorer_cell=world.cell2, scored_cell=world.cell1,
    )
    page = client_for(client, world.officer).get(f"/sinh-hoat/{m.pk}/").content.decode()
    assert VISIT in page and f'href="{reverse("oversight:visit", args=[visit.pk])}"' in page
    page = client_for(client, world.admin).get(f"/sinh-hoat/{m.pk}/").content.decode()
    assert f"Chi bộ thôn 2 {PAIRING}" in page
    assert f'href="{reverse("oversight:peer_score", args=[pairing.pk, m.pk])}"' in page
    assert VISIT not in page  # the visit is the officer's, not the administrator's


def test_the_model_mark_shows_on_the_approved_record(client, world):
    m = approved(world.cell1, day=past(3))
    c = client_for(client, world.admin)
    assert MODEL not in c.get(f"/sinh-hoat/{m.pk}/").content.decode()
    model = services.mark_model(actor=world.admin, meeting=m, note="Chuẩn bị chu đáo.")
    with CaptureQueriesContext(connection) as queries:
        page = c.get(f"/sinh-hoat/{m.pk}/").content.decode()
    assert f'<a href="{reverse("oversight:model", args=[model.pk])}">{MODEL}' in page
    assert f"({model.committee.name} chọn)" in page
    asked = [q["sql"] for q in queries.captured_queries if "oversight_modelmeeting" in q["sql"]]
    # marking it changed the cell's activity_rev: the panel was read again (what exists, then the mark)
    assert len(asked) == 2
    with CaptureQueriesContext(connection) as queries:
        again = c.get(f"/sinh-hoat/{m.pk}/").content.decode()
    assert f"({model.committee.name} chọn)" in again
    assert not [q for q in queries.captured_queries if "oversight_modelmeeting" in q["sql"]]  # kept
    services.unmark_model(actor=world.admin, model=model)
    assert MODEL not in c.get(f"/sinh-hoat/{m.pk}/").content.decode()


# --- the panels beside the record, kept per version (chibo/meetings/panel_cache.py) ----------------
def test_the_panels_beside_the_record_show_every_write_they_read_at_once(client, world):
    """Each write a panel reads gives the cell a new activity_rev, so the next page reads it again."""
    from chibo.annual import services as annual
    from chibo.members.models import Member
    from chibo.members.services import update_member
    from chibo.oversight.tests.helpers import finish, running

    m = running(world.cell1, day=past(3))
    when = timezone.localtime(m.scheduled_at)
    c = client_for(client, world.admin)

    def page() -> str:
        return c.get(f"/sinh-hoat/{m.pk}/").content.decode()

    assert "Chưa ghi hạn chế, khuyết điểm nào" in page()
    # a shortcoming raised at the meeting
    member = Member.objects.filter(organisation=world.cell1).order_by("id").first()
    annual.raise_shortcoming(
        actor=world.admin, cell=world.cell1, member=member, raised_by_name="Chi ủy", meeting=m,
        text="Chưa hoàn thành nhiệm vụ được giao",
    )
    assert "Chưa hoàn thành nhiệm vụ được giao" in page()
    m = finish(m, minutes=100, upper=None)  # approved: the record and the panels are kept
    assert "Chưa hoàn thành nhiệm vụ được giao" in page()
    # the member renamed: the list shows the new name
    update_member(actor=world.admin, member=member, full_name="Nguyễn Văn Tân Đổi")
    assert "Nguyễn Văn Tân Đổi" in page()
    # a dues profile set, then dues paid outside the meeting: short, then no longer short
    annual.set_dues_profile(
        actor=world.admin, member=Member.objects.get(pk=member.pk), category="khac", fixed_amount=5_000,
        valid_from=dt.date(when.year, 1, 1),
    )
    shown = page()
    assert "phải thu 5.000 đ" in shown
    short = shown.split("Chưa nộp đủ:", 1)[1].split(".</span>", 1)[0]
    assert "Nguyễn Văn Tân Đổi" in short  # nobody collected dues at this meeting
    annual.record_payment(
        actor=world.admin, member=Member.objects.get(pk=member.pk), year=when.year, month=when.month,
        amount=1_000_000, paid_on=timezone.localdate(),
    )
    shown = page()
    short = shown.split("Chưa nộp đủ:", 1)[1].split(".</span>", 1)[0] if "Chưa nộp đủ:" in shown else ""
    assert "Nguyễn Văn Tân Đổi" not in short
    # guidance of the month published by the commune, then the commune renamed
    g = services.create_guidance(
        actor=world.admin, committee=world.an_binh, year=when.year, month=when.month, title="Định hướng tháng"
    )
    services.add_guidance_item(actor=world.admin, guidance=g, title="Học tập chuyên đề năm")
    assert "Học tập chuyên đề năm" not in page()  # not published yet
    services.publish_guidance(actor=world.admin, guidance=g)
    assert "Học tập chuyên đề năm" in page()
    world.an_binh.name = "Đảng ủy xã An Bình Mới"
    world.an_binh.save()
    assert "— Đảng ủy xã An Bình Mới" in page()


def test_touching_a_cell_does_not_move_the_dashboards_revision(world):
    """activity_rev is set by UPDATE: `rev` (what the dashboards' memo sums) stays, and a committee's
    save reaches the cells below it."""
    from chibo.organisations import activity
    from chibo.organisations.models import Organisation

    def revs(org: Any) -> tuple[int, int]:
        return tuple(Organisation.objects.filter(pk=org.pk).values_list("rev", "activity_rev").get())

    rev, act = revs(world.cell1)
    activity.touch([world.cell1.pk])
    assert revs(world.cell1)[0] == rev and revs(world.cell1)[1] != act
    other = revs(world.cell2)
    world.an_binh.save()
    assert revs(world.cell2)[0] == other[0] and revs(world.cell2)[1] != other[1]
    far = revs(world.hoa_lac)
    activity.touch_subtree(world.an_binh.path)
    assert revs(world.hoa_lac) == far  # another commune's cells are not touched


def test_a_readers_own_panel_entry_follows_their_roles(client, world):
    """The pairing link is kept per reader under their roles: granted the scoring cell's secretary
    role, the reader sees it on the next page; the role taken away, it is gone again."""
    from chibo.accounts.models import RoleAssignment
    from chibo.accounts.permissions import Role
    from chibo.oversight.tests.helpers import readonly_at

    m = approved(world.cell1, day=past(3))
    when = timezone.localtime(m.scheduled_at)
    services.pair_cells(
        actor=world.admin, committee=world.an_binh, year=when.year, month=when.month,
        scorer_cell=world.cell2, scored_cell=world.cell1,
    )
    reader = readonly_at(world.an_binh, "doc.xa.cham")
    assert PAIRING not in client_for(client, reader).get(f"/sinh-hoat/{m.pk}/").content.decode()
    grant = RoleAssignment.objects.create(user=reader, organisation=world.cell2, role=Role.SECRETARY)
    assert PAIRING in client_for(client, reader).get(f"/sinh-hoat/{m.pk}/").content.decode()
    grant.delete()
    assert PAIRING not in client_for(client, reader).get(f"/sinh-hoat/{m.pk}/").content.decode()


def test_the_readers_own_part_is_read_only_when_a_visit_or_pairing_exists(client, world):
    """panel_probe says whether anything of a reader's own can exist; only then is it read, once per
    reader and version (kept under their roles)."""
    m = published(world.cell1)
    when = timezone.localtime(m.scheduled_at)

    def own_reads(user: Any) -> int:
        with CaptureQueriesContext(connection) as q:
            assert client_for(client, user).get(f"/sinh-hoat/{m.pk}/").status_code == 200
        return len([x for x in q.captured_queries if '"visit_pk"' in x["sql"]])  # (the reader's own query)

    assert own_reads(world.officer) == 0  # none exists: not asked
    services.assign_officer(
        actor=world.admin, committee=world.an_binh, officer=world.officer, cell=world.cell1,
        year=when.year, month=when.month,
    )
    assert own_reads(world.officer) == 1 and own_reads(world.officer) == 0  # read, then kept
    assert own_reads(world.admin) == 1 and own_reads(world.admin) == 0  # each reader their own

"""Monthly content guidance: published by the commune, adopted by a cell with one action."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chibo.audit.models import AuditEntry
from chibo.meetings import services as meeting_services
from chibo.meetings.models import Meeting, Notification
from chibo.oversight import selectors, services
from chibo.oversight.models import Adoption, Guidance
from chibo.oversight.tests.helpers import approved, finish, planned, published, readonly_at
from conftest import client_for

pytestmark = pytest.mark.django_db


def guidance_for(w, m: Meeting, *, cells=None) -> Guidance:  # type: ignore[no-untyped-def]
    when = timezone.localtime(m.scheduled_at)
    g = services.create_guidance(
        actor=w.officer,
        committee=w.an_binh,
        year=when.year,
        month=when.month,
        title="Định hướng sinh hoạt",
        all_cells=cells is None,
        cells=cells,
    )
    services.add_guidance_item(
        actor=w.officer,
        guidance=g,
        title="Quán triệt Nghị quyết 57-NQ/TW",
        kind="document",
        document_ref="57-NQ/TW",
    )
    services.publish_guidance(actor=w.officer, guidance=g)
    return g


def test_the_officer_creates_adds_items_and_publishes_through_the_pages(client, world):
    c = client_for(client, world.officer)
    r = c.post(
        f"/cap-tren/dinh-huong/{world.an_binh.pk}/",
        {"year": 2026, "month": 5, "title": "Định hướng tháng 5", "all_cells": "on"},
    )
    g = Guidance.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/cap-tren/dinh-huong/chi-tiet/{g.pk}/")
    r = c.post(
        f"/cap-tren/dinh-huong/chi-tiet/{g.pk}/",
        {"kind": "topic", "title": "Chuyển đổi số ở thôn", "deadline": "20/05/2026"},
    )
    assert r.status_code == 302 and g.items.get().deadline == dt.date(2026, 5, 20)
    r = c.post(f"/cap-tren/dinh-huong/chi-tiet/{g.pk}/ban-hanh/")
    g.refresh_from_db()
    assert g.published_at is not None
    # The secretary of cell1 is told (bí thư holds a role that runs meetings there).
    assert Notification.objects.filter(user=world.secretary, text__contains="Định hướng tháng 5").exists()
    assert {
        e.changes.get("published_at", [None])[0] == ""
        for e in AuditEntry.objects.filter(object_id=str(g.pk), org_path=world.an_binh.path)
    } == {True, False}


def test_bad_guidance_input_gets_vietnamese_errors_and_changes_nothing(client, world):
    c = client_for(client, world.officer)
    r = c.post(f"/cap-tren/dinh-huong/{world.an_binh.pk}/", {"year": 2026, "month": 5, "title": ""})
    assert r.status_code == 400 and "Thiếu tiêu đề định hướng." in r.content.decode()
    r = c.post(
        f"/cap-tren/dinh-huong/{world.an_binh.pk}/", {"year": 2026, "month": 5, "title": "X"}
    )  # no cells, not all
    assert r.status_code == 400 and "Chọn ít nhất một chi bộ nhận định hướng." in r.content.decode()
    assert not Guidance.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("officer", 302), ("officer_other", 404), ("secretary", 404), ("member_other", 404)],
)
def test_only_the_committee_publishes_guidance(client, world, persona, status):
    r = client_for(client, getattr(world, persona)).post(
        f"/cap-tren/dinh-huong/{world.an_binh.pk}/",
        {"year": 2026, "month": 5, "title": "Định hướng", "all_cells": "on"},
    )
    assert r.status_code == status
    assert Guidance.objects.exists() == (status == 302)


def test_a_reader_of_the_commune_may_look_but_not_publish(client, world):
    reader = readonly_at(world.an_binh)
    c = client_for(client, reader)
    assert c.get(f"/cap-tren/dinh-huong/{world.an_binh.pk}/").status_code == 200
    r = c.post(
        f"/cap-tren/dinh-huong/{world.an_binh.pk}/",
        {"year": 2026, "month": 5, "title": "Định hướng", "all_cells": "on"},
    )
    assert r.status_code == 403 and not Guidance.objects.exists()


def test_the_cell_sees_guidance_while_preparing_and_adopts_it_in_one_action(client, world):
    m = published(world.cell1)
    g = guidance_for(world, m)
    item = g.items.get()
    c = client_for(client, world.secretary)
    page = c.get(f"/sinh-hoat/{m.pk}/").content.decode()
    assert "Quán triệt Nghị quyết 57-NQ/TW" in page and "Đưa vào chương trình" in page
    r = c.post(f"/cap-tren/dinh-huong/noi-dung/{item.pk}/dua-vao/{m.pk}/")
    assert r.status_code == 302
    adoption = Adoption.objects.get()
    assert (
        adoption.cell == world.cell1
        and adoption.agenda_item.title == "Quán triệt Nghị quyết 57-NQ/TW (57-NQ/TW)"
    )
    # Starting the meeting keeps the template agenda and puts the adopted item after the upper documents step.
    meeting_services.start(actor=world.secretary, meeting=m)
    codes = list(m.items.order_by("order").values_list("code", flat=True))
    at = codes.index("upper_documents")
    assert codes[at + 1] == "" and codes.count("") == 1 and "discussion" in codes
    # A second adoption of the same item is refused with a reason.
    r = c.post(f"/cap-tren/dinh-huong/noi-dung/{item.pk}/dua-vao/{m.pk}/", follow=True)
    assert "Chi bộ đã đưa nội dung này vào chương trình sinh hoạt." in r.content.decode()
    assert Adoption.objects.count() == 1


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member_same", 403), ("member_other", 404), ("officer_other", 404), ("officer", 403)],
)
def test_adoption_is_for_the_cell_managers_only(client, world, persona, status):
    m = published(world.cell1)
    item = guidance_for(world, m).items.get()
    r = client_for(client, getattr(world, persona)).post(
        f"/cap-tren/dinh-huong/noi-dung/{item.pk}/dua-vao/{m.pk}/"
    )
    assert r.status_code == status and not Adoption.objects.exists()


def test_guidance_for_other_cells_is_not_offered(client, world):
    m = published(world.cell1)
    item = guidance_for(world, m, cells=[world.cell2]).items.get()
    c = client_for(client, world.secretary)
    assert "Quán triệt" not in c.get(f"/sinh-hoat/{m.pk}/").content.decode()
    assert c.post(f"/cap-tren/dinh-huong/noi-dung/{item.pk}/dua-vao/{m.pk}/").status_code == 404


def test_an_approved_meeting_cannot_adopt(client, world):
    m = approved(world.cell1, day=timezone.localdate() - dt.timedelta(days=1))
    item = guidance_for(world, m).items.get()
    before = (m.items.count(), Meeting.objects.get(pk=m.pk).version)
    r = client_for(client, world.secretary).post(f"/cap-tren/dinh-huong/noi-dung/{item.pk}/dua-vao/{m.pk}/")
    assert r.status_code == 403 and "Biên bản đã được duyệt" in r.content.decode()
    assert (m.items.count(), Meeting.objects.get(pk=m.pk).version) == before and not Adoption.objects.exists()


def test_the_committee_sees_who_adopted_and_presented(client, world):
    day = timezone.localdate() - dt.timedelta(days=1)
    m1 = published(world.cell1, day=day)
    g = guidance_for(world, m1)
    item = g.items.get()
    services.adopt(actor=world.secretary, item=item, meeting=m1)
    # cell1 holds the meeting and presents the item; cell2 never adopts.
    meeting_services.start(actor=None, meeting=m1, now=m1.scheduled_at)
    for a in m1.attendance.select_related("member"):
        meeting_services.set_attendance(actor=None, meeting=m1, member=a.member, status="present")
    adopted_item = Adoption.objects.get().agenda_item
    meeting_services.start_item(actor=None, item=adopted_item, now=m1.scheduled_at)
    status = {row["cell"].name: row["items"][0] for row in selectors.adoption_status(g)}
    assert status["Chi bộ thôn 1"]["adoption"] is not None and not status["Chi bộ thôn 1"]["presented"]
    finish(Meeting.objects.get(pk=m1.pk))
    status = {row["cell"].name: row["items"][0] for row in selectors.adoption_status(g)}
    assert status["Chi bộ thôn 1"]["presented"] and status["Chi bộ thôn 2"]["adoption"] is None
    page = client_for(client, world.officer).get(f"/cap-tren/dinh-huong/chi-tiet/{g.pk}/").content.decode()
    assert "Đã trình bày" in page and "Chưa tiếp nhận" in page
    assert planned  # the builder module is shared by every test file


def test_each_cell_sees_the_guidance_addressed_to_it(client, world):
    m1 = published(world.cell1)
    to_cell2 = guidance_for(world, m1, cells=[world.cell2])
    to_all = guidance_for(world, m1)
    services.adopt(actor=world.secretary, item=to_all.items.get(), meeting=m1)
    page = client_for(client, world.secretary).get("/cap-tren/dinh-huong/da-nhan/").content.decode()
    assert page.count("Quán triệt Nghị quyết 57-NQ/TW") == 1 and "Đã đưa vào chương trình buổi" in page
    assert f"/sinh-hoat/{m1.pk}/#dinh-huong" in page
    page = client_for(client, world.member_other).get("/cap-tren/dinh-huong/da-nhan/").content.decode()
    assert page.count("Quán triệt Nghị quyết 57-NQ/TW") == 2 and "Chưa đưa vào chương trình" in page
    page = client_for(client, world.officer_other).get("/cap-tren/dinh-huong/da-nhan/").content.decode()
    assert "Quán triệt" not in page and to_cell2.pk


def test_the_meeting_page_reads_the_same_guidance_in_plain_steps(world):
    """services.guidance_for_meeting (the page's panel and adopt's check): the month's published
    guidance addressed to the cell, in plain steps (one query when there is none); the panel's probe
    (selectors.panel_probe, which decides whether it is read) agrees at each step."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    m1 = published(world.cell1)
    with CaptureQueriesContext(connection) as none:
        assert services.guidance_for_meeting(m1) == []
    assert len(none) == 1  # no guidance this month: one plain query
    when = timezone.localtime(m1.scheduled_at)
    guidance_for(world, m1, cells=[world.cell2])  # not to this cell
    unpublished = services.create_guidance(
        actor=world.officer, committee=world.an_binh, year=when.year, month=when.month, title="Nháp"
    )
    services.add_guidance_item(actor=world.officer, guidance=unpublished, title="Chưa ban hành")
    later = guidance_for(world, m1)
    Guidance.objects.filter(pk=later.pk).update(month=when.month % 12 + 1)  # another month
    assert services.guidance_for_meeting(m1) == [] and not selectors.panel_probe(m1).guidance
    to_cell1 = guidance_for(world, m1, cells=[world.cell1, world.cell2])
    assert selectors.panel_probe(m1).guidance  # chosen cells, this one among them
    to_all = guidance_for(world, m1)
    services.add_guidance_item(actor=world.officer, guidance=to_all, title="Thứ hai của tháng")
    got = services.guidance_for_meeting(m1)
    assert [(it.guidance_id, it.title) for it in got] == [
        (to_cell1.pk, "Quán triệt Nghị quyết 57-NQ/TW"),
        (to_all.pk, "Quán triệt Nghị quyết 57-NQ/TW"),
        (to_all.pk, "Thứ hai của tháng"),
    ]
    assert got[0].guidance.committee.name == world.an_binh.name  # read with the items
    assert services.guidance_reaches(m1, got[0].pk) and not services.guidance_reaches(m1, unpublished.items.get().pk)

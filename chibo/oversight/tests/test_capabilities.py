"""Officers attending, inspection and follow-up, peer evaluation, model meetings — with the personas."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chibo.meetings import services as meeting_services
from chibo.meetings.models import Meeting, Notification, ScoreColumn
from chibo.oversight import dashboard, services
from chibo.oversight.models import (
    FollowUp,
    InspectionItem,
    ModelMeeting,
    OfficerVisit,
    PeerPairing,
    Recommendation,
)
from chibo.oversight.tests.helpers import approved, finish, past, published, readonly_at, running
from conftest import client_for

pytestmark = pytest.mark.django_db


def month_of(m: Meeting) -> dict[str, int]:
    when = timezone.localtime(m.scheduled_at)
    return {"year": when.year, "month": when.month}


# --- officers attending ---------------------------------------------------------------------
def test_assigning_an_officer_notifies_date_time_place_and_later_changes(client, world):
    m = published(world.cell1)
    r = client_for(client, world.officer).post(
        f"/cap-tren/du-sinh-hoat/{world.an_binh.pk}/",
        {"officer": world.officer.pk, "cell": world.cell1.pk, **month_of(m)},
    )
    assert r.status_code == 302
    visit = OfficerVisit.objects.get()
    assert visit.meeting == m and visit.notified_at is not None
    note = Notification.objects.filter(user=world.officer, text__startswith="Lịch dự sinh hoạt").get()
    assert (
        timezone.localtime(m.scheduled_at).strftime("%H:%M ngày %d/%m/%Y") in note.text
        and "Nhà văn hóa" in note.text
    )
    meeting_services.update_meeting(actor=world.secretary, meeting=m, place="Hội trường thôn 1")
    change = Notification.objects.filter(
        user=world.officer, text__startswith="Thay đổi lịch dự sinh hoạt"
    ).get()
    assert "Hội trường thôn 1" in change.text


def test_an_officer_assigned_before_the_cell_schedules_is_told_when_the_meeting_is_published(
    world, mailoutbox
):
    world.officer.email = "danguy@example.vn"
    world.officer.save()
    day = timezone.localdate() + dt.timedelta(days=5)
    visit = services.assign_officer(
        actor=world.officer,
        committee=world.an_binh,
        officer=world.officer,
        cell=world.cell1,
        year=day.year,
        month=day.month,
    )
    assert visit.meeting is None and visit.notified_at is None
    m = published(world.cell1, day=day)
    visit.refresh_from_db()
    assert visit.meeting == m and visit.notified_at is not None
    assert Notification.objects.filter(user=world.officer, text__startswith="Lịch dự sinh hoạt").count() == 1
    assert any(mail.subject.startswith("[chibo] Lịch dự sinh hoạt Chi bộ thôn 1") for mail in mailoutbox)


@pytest.mark.parametrize(
    ("persona", "status"), [("officer", 302), ("officer_other", 404), ("secretary", 404)]
)
def test_only_the_committee_assigns_officers(client, world, persona, status):
    m = published(world.cell1)
    r = client_for(client, getattr(world, persona)).post(
        f"/cap-tren/du-sinh-hoat/{world.an_binh.pk}/",
        {"officer": world.officer.pk, "cell": world.cell1.pk, **month_of(m)},
    )
    assert r.status_code == status and OfficerVisit.objects.exists() == (status == 302)


def test_an_officer_of_another_commune_cannot_be_assigned(client, world):
    r = client_for(client, world.officer).post(
        f"/cap-tren/du-sinh-hoat/{world.an_binh.pk}/",
        {"officer": world.officer_other.pk, "cell": world.cell1.pk, "year": 2026, "month": 5},
    )
    assert r.status_code == 400 and not OfficerVisit.objects.exists()


def test_attendance_and_remarks_are_written_on_the_meeting_and_reported(client, world):
    m = running(world.cell1)
    visit = services.assign_officer(
        actor=world.officer, committee=world.an_binh, officer=world.officer, cell=world.cell1, **month_of(m)
    )
    c = client_for(client, world.officer)
    r = c.post(
        f"/cap-tren/du-sinh-hoat/ghi-nhan/{visit.pk}/",
        {"attended": "1", "remarks": "Chi bộ chuẩn bị chu đáo."},
    )
    assert r.status_code == 302
    m.refresh_from_db()
    guest = m.guests.get()
    assert guest.is_upper_officer and guest.user == world.officer
    assert m.speeches.filter(guest=guest, summary="Chi bộ chuẩn bị chu đáo.").exists()
    report = c.get(f"/cap-tren/du-sinh-hoat/{world.an_binh.pk}/?nam={month_of(m)['year']}").content.decode()
    assert "1/2 chi bộ có cán bộ cấp trên dự" in report
    # The meeting's own approval freezes the visit: recording again is refused and nothing changes.
    finish(m)
    before = (m.guests.count(), m.speeches.count())
    r = c.post(f"/cap-tren/du-sinh-hoat/ghi-nhan/{visit.pk}/", {"attended": "1", "remarks": "Bổ sung."})
    assert r.status_code == 403 and "Biên bản đã được duyệt" in r.content.decode()
    assert (m.guests.count(), m.speeches.count()) == before


@pytest.mark.parametrize(("persona", "status"), [("officer_other", 404), ("secretary", 404), ("reader", 403)])
def test_recording_a_visit_is_for_the_committee(client, world, persona, status):
    m = running(world.cell1)
    visit = services.assign_officer(
        actor=world.officer, committee=world.an_binh, officer=world.officer, cell=world.cell1, **month_of(m)
    )
    user = readonly_at(world.an_binh) if persona == "reader" else getattr(world, persona)
    r = client_for(client, user).post(
        f"/cap-tren/du-sinh-hoat/ghi-nhan/{visit.pk}/", {"attended": "1", "remarks": "X"}
    )
    assert r.status_code == status and not Meeting.objects.get(pk=m.pk).guests.exists()


# --- inspection and supervision ----------------------------------------------------------------
def test_the_programme_runs_from_item_to_recommendation_done(client, world):
    c = client_for(client, world.officer)
    year = timezone.localdate().year
    assert (
        c.post(
            f"/cap-tren/kiem-tra/{world.an_binh.pk}/{year}/", {"action": "programme", "title": ""}
        ).status_code
        == 302
    )
    r = c.post(
        f"/cap-tren/kiem-tra/{world.an_binh.pk}/{year}/",
        {
            "action": "item",
            "kind": "kiem_tra",
            "subject_cell": world.cell1.pk,
            "content": "Việc thực hiện quy định sinh hoạt chi bộ",
            "period_from": f"01/03/{year}",
            "period_to": f"31/03/{year}",
            "officer": world.officer.pk,
        },
    )
    assert r.status_code == 302
    item = InspectionItem.objects.get()
    r = c.post(f"/cap-tren/kiem-tra/noi-dung/{item.pk}/", {"action": "recommendation", "text": "Khắc phục"})
    assert r.status_code == 400 and "Chỉ nêu kiến nghị sau khi có kết luận." in r.content.decode()
    assert (
        c.post(
            f"/cap-tren/kiem-tra/noi-dung/{item.pk}/",
            {"action": "conclude", "result": "Đạt", "conclusion": "Thực hiện tốt"},
        ).status_code
        == 302
    )
    assert (
        c.post(
            f"/cap-tren/kiem-tra/noi-dung/{item.pk}/",
            {"action": "recommendation", "text": "Bổ sung sổ ghi biên bản", "due_date": f"30/06/{year}"},
        ).status_code
        == 302
    )
    rec = Recommendation.objects.get()
    # The inspected cell reports progress but cannot close; the committee closes.
    s = client_for(client, world.secretary)
    assert (
        s.post(
            f"/cap-tren/kiem-tra/kien-nghi/{rec.pk}/theo-doi/", {"note": "Đã mua sổ mới", "done": "on"}
        ).status_code
        == 302
    )
    rec.refresh_from_db()
    assert rec.done_at is None and not FollowUp.objects.exists()
    s.post(f"/cap-tren/kiem-tra/kien-nghi/{rec.pk}/theo-doi/", {"note": "Đã mua sổ mới"})
    assert FollowUp.objects.count() == 1 and "Đã mua sổ mới" in s.get("/cap-tren/kien-nghi/").content.decode()
    c = client_for(client, world.officer)  # the same test client, logged in as the officer again
    c.post(f"/cap-tren/kiem-tra/kien-nghi/{rec.pk}/theo-doi/", {"note": "Kiểm tra lại: đạt", "done": "on"})
    rec.refresh_from_db()
    assert rec.done_at is not None
    r = c.post(f"/cap-tren/kiem-tra/kien-nghi/{rec.pk}/theo-doi/", {"note": "Thêm"}, follow=True)
    assert "Kiến nghị đã được xác nhận hoàn thành." in r.content.decode() and FollowUp.objects.count() == 2


def test_inspection_input_errors_are_in_vietnamese_and_change_nothing(client, world):
    year = timezone.localdate().year
    services.create_programme(actor=world.officer, committee=world.an_binh, year=year)
    r = client_for(client, world.officer).post(
        f"/cap-tren/kiem-tra/{world.an_binh.pk}/{year}/",
        {
            "action": "item",
            "kind": "kiem_tra",
            "subject_cell": world.cell1.pk,
            "subject_member": world.m_same.pk,
            "content": "X",
            "period_from": f"31/03/{year}",
            "period_to": f"01/03/{year}",
            "officer": world.officer.pk,
        },
    )
    page = r.content.decode()
    assert r.status_code == 400 and "Chọn một chi bộ hoặc một đảng viên là đối tượng." in page
    assert not InspectionItem.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"), [("officer_other", 404), ("member_other", 404), ("reader", 403)]
)
def test_outsiders_and_readers_cannot_touch_the_programme(client, world, persona, status):
    year = timezone.localdate().year
    user = readonly_at(world.an_binh) if persona == "reader" else getattr(world, persona)
    r = client_for(client, user).post(
        f"/cap-tren/kiem-tra/{world.an_binh.pk}/{year}/", {"action": "programme", "title": ""}
    )
    assert r.status_code == status and not InspectionItem.objects.exists()


def test_an_outsider_cannot_report_on_a_recommendation(client, world):
    year = timezone.localdate().year
    p = services.create_programme(actor=world.officer, committee=world.an_binh, year=year)
    item = services.add_inspection_item(
        actor=world.officer,
        programme=p,
        content="X",
        period_from=dt.date(year, 1, 1),
        period_to=dt.date(year, 1, 31),
        officer=world.officer,
        subject_member=world.m_same,
    )
    services.conclude(actor=world.officer, item=item, result="R", conclusion="K")
    rec = services.add_recommendation(actor=world.officer, item=item, text="Sửa")
    assert (
        client_for(client, world.officer_other)
        .post(f"/cap-tren/kiem-tra/kien-nghi/{rec.pk}/theo-doi/", {"note": "x"})
        .status_code
        == 404
    )
    assert (
        client_for(client, world.member_same)
        .post(f"/cap-tren/kiem-tra/kien-nghi/{rec.pk}/theo-doi/", {"note": "x"})
        .status_code
        == 403
    )
    assert not FollowUp.objects.exists()


# --- peer evaluation -----------------------------------------------------------------------------
def test_a_paired_cell_scores_the_other_and_it_shows_beside_self_and_upper(client, world):
    m = running(world.cell2, day=past(2))
    services.pair_cells(
        actor=world.officer,
        committee=world.an_binh,
        scorer_cell=world.cell1,
        scored_cell=world.cell2,
        **month_of(m),
    )
    pairing = PeerPairing.objects.get()
    c = client_for(client, world.secretary)
    assert (
        f"/cap-tren/cham-cheo/phan-cong/{pairing.pk}/{m.pk}/"
        in c.get("/cap-tren/cham-cheo/cua-toi/").content.decode()
    )
    book = meeting_services.rulebook_of(m)
    entries = {f"c_{cr.code}": cr.points - 1 for cr in book.scorecard.criteria_for(m.kind)}
    r = c.post(f"/cap-tren/cham-cheo/phan-cong/{pairing.pk}/{m.pk}/", {**entries, "c_duration": 99})
    assert (
        r.status_code == 400
        and "Điểm từ 0 đến 10." in r.content.decode()
        and not m.scores.filter(column=ScoreColumn.PEER).exists()
    )
    assert c.post(f"/cap-tren/cham-cheo/phan-cong/{pairing.pk}/{m.pk}/", entries).status_code == 302
    meeting_services.save_score(actor=None, meeting=m, column=ScoreColumn.UPPER, entries={"order_content": 9})
    finish(Meeting.objects.get(pk=m.pk))
    board = dashboard.build(world.an_binh, dashboard.default_period())
    row = board.tables["peer"].rows[0]
    assert row[0] == "Chi bộ thôn 2" and all(isinstance(v, int) for v in row[2:])
    # Locked now: the peer column cannot change.
    r = c.post(f"/cap-tren/cham-cheo/phan-cong/{pairing.pk}/{m.pk}/", entries)
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("persona", "status"), [("member_same", 403), ("member_other", 403), ("officer_other", 404)]
)
def test_only_the_scoring_cell_managers_score(client, world, persona, status):
    m = running(world.cell2, day=past(2))
    p = services.pair_cells(
        actor=world.officer,
        committee=world.an_binh,
        scorer_cell=world.cell1,
        scored_cell=world.cell2,
        **month_of(m),
    )
    r = client_for(client, getattr(world, persona)).post(
        f"/cap-tren/cham-cheo/phan-cong/{p.pk}/{m.pk}/", {"c_order_content": 5}
    )
    assert r.status_code == status and not m.scores.filter(column=ScoreColumn.PEER).exists()


def test_a_cell_cannot_be_paired_with_itself(client, world):
    r = client_for(client, world.officer).post(
        f"/cap-tren/cham-cheo/{world.an_binh.pk}/",
        {"year": 2026, "month": 5, "scorer_cell": world.cell1.pk, "scored_cell": world.cell1.pk},
    )
    assert r.status_code == 400 and "Chi bộ không tự chấm chéo cho mình." in r.content.decode()


# --- model meetings --------------------------------------------------------------------------------
def test_an_officer_marks_an_approved_meeting_and_the_subtree_reads_it_without_personal_data(client, world):
    m = running(world.cell1, day=past(3))
    item = m.items.get(code="next_month")
    meeting_services.set_conclusion(
        actor=None, item=item, text="Giao đồng chí Trần Thị Lan vận động các hộ hiến đất."
    )
    m = finish(m)
    r = client_for(client, world.officer).post(
        f"/cap-tren/sinh-hoat-mau/chon/{m.pk}/", {"note": "Chuẩn bị chu đáo"}
    )
    mm = ModelMeeting.objects.get()
    assert r.status_code == 302 and mm.committee == world.an_binh
    page = client_for(client, world.member_other).get(f"/cap-tren/sinh-hoat-mau/{mm.pk}/").content.decode()
    assert "Thống nhất làm đường." in page and "Đề nghị làm đường." in page
    assert "Giao đồng chí (đảng viên) vận động các hộ hiến đất." in page
    for name in ("Nguyễn Văn Hùng", "Trần Thị Lan", "Lê Văn Bình", "Phạm Thị Hoà"):
        assert name not in page
    assert "CCCD" not in page and "eligible_ids" not in page
    assert (
        f"/cap-tren/sinh-hoat-mau/{mm.pk}/"
        in client_for(client, world.member_other).get("/cap-tren/sinh-hoat-mau/").content.decode()
    )
    assert client_for(client, world.officer_other).get(f"/cap-tren/sinh-hoat-mau/{mm.pk}/").status_code == 404
    assert (
        f"/cap-tren/sinh-hoat-mau/{mm.pk}/"
        not in client_for(client, world.officer_other).get("/cap-tren/sinh-hoat-mau/").content.decode()
    )


@pytest.mark.parametrize(
    ("persona", "status"), [("secretary", 403), ("member_other", 404), ("officer_other", 404)]
)
def test_only_an_upper_officer_marks_a_model(client, world, persona, status):
    m = approved(world.cell1, day=past(3))
    assert (
        client_for(client, getattr(world, persona)).post(f"/cap-tren/sinh-hoat-mau/chon/{m.pk}/").status_code
        == status
    )
    assert not ModelMeeting.objects.exists()


def test_a_meeting_not_yet_approved_cannot_be_a_model(client, world):
    m = running(world.cell1)
    r = client_for(client, world.officer).post(f"/cap-tren/sinh-hoat-mau/chon/{m.pk}/", follow=True)
    assert (
        "Chỉ chọn làm mẫu buổi sinh hoạt đã duyệt biên bản." in r.content.decode()
        and not ModelMeeting.objects.exists()
    )

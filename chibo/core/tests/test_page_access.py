"""Every page with the five personas: allowed, read-only (403 on writes), outsider (404)."""

from __future__ import annotations

import pytest

from chibo.members.models import Member

pytestmark = pytest.mark.django_db

ALLOWED, FORBIDDEN, NOT_FOUND = 200, 403, 404


def url(kind: str, w) -> str:  # type: ignore[no-untyped-def]
    return {
        "org_detail": f"/to-chuc/{w.cell1.pk}/",
        "org_edit": f"/to-chuc/{w.cell1.pk}/sua/",
        "org_add_group": f"/to-chuc/{w.cell1.pk}/them/",
        "org_term": f"/to-chuc/{w.cell1.pk}/nhiem-ky/",
        "org_move": f"/to-chuc/{w.cell1.pk}/chuyen/",
        "group_detail": f"/to-chuc/{w.group1.pk}/",
        "members_of_cell": f"/dang-vien/?to_chuc={w.cell1.pk}",
        "member_detail": f"/dang-vien/{w.m_same.pk}/",
        "member_edit": f"/dang-vien/{w.m_same.pk}/sua/",
        "member_transfer": f"/dang-vien/{w.m_same.pk}/chuyen/",
        "member_create": f"/dang-vien/them/?to_chuc={w.cell1.pk}",
        "roles": f"/tai-khoan/vai-tro/{w.cell1.pk}/",
        "audit": f"/nhat-ky/?to_chuc={w.cell1.pk}",
    }[kind]


# persona -> expected status, per page
MATRIX = {
    "org_detail": dict(secretary=200, member_same=200, officer=200, member_other=404, officer_other=404),
    "group_detail": dict(secretary=200, member_same=200, officer=200, member_other=404, officer_other=404),
    "org_edit": dict(secretary=200, member_same=403, officer=403, member_other=404, officer_other=404),
    "org_add_group": dict(secretary=200, member_same=403, officer=403, member_other=404, officer_other=404),
    "org_term": dict(secretary=200, member_same=403, officer=403, member_other=404, officer_other=404),
    "org_move": dict(admin=200, secretary=403, officer=403, member_other=404, officer_other=404),
    "members_of_cell": dict(secretary=200, member_same=200, officer=200, member_other=404, officer_other=404),
    "member_detail": dict(secretary=200, member_same=200, officer=200, member_other=404, officer_other=404),
    "member_edit": dict(secretary=200, member_same=403, officer=403, member_other=404, officer_other=404),
    "member_transfer": dict(secretary=200, member_same=403, officer=403, member_other=404, officer_other=404),
    "member_create": dict(secretary=200, member_same=403, officer=403, member_other=404, officer_other=404),
    "roles": dict(admin=200, secretary=403, officer=403, member_other=404, officer_other=404),
    "audit": dict(admin=200, secretary=403, officer=403, member_other=404, officer_other=404),
}
CASES = [(page, persona, status) for page, row in MATRIX.items() for persona, status in row.items()]


@pytest.mark.parametrize(("page", "persona", "status"), CASES)
def test_page_access(client, world, page, persona, status):
    client.force_login(getattr(world, persona))
    response = client.get(url(page, world))
    assert response.status_code == status, response.content[:300]


@pytest.mark.parametrize("page", list(MATRIX))
def test_anonymous_users_are_sent_to_login(client, world, page):
    response = client.get(url(page, world))
    assert response.status_code == 302
    assert response["Location"].startswith("/tai-khoan/dang-nhap/")


WRITES = {
    "member_edit": {"full_name": "Bị Sửa Trộm", "status": "chinh_thuc"},
    "member_delete": {},
    "org_edit": {"name": "Bị Sửa", "kind": "chi_bo"},
}


def write_url(kind: str, w) -> str:  # type: ignore[no-untyped-def]
    return {
        "member_edit": f"/dang-vien/{w.m_same.pk}/sua/",
        "member_delete": f"/dang-vien/{w.m_same.pk}/xoa/",
        "org_edit": f"/to-chuc/{w.cell1.pk}/sua/",
    }[kind]


@pytest.mark.parametrize("kind", list(WRITES))
@pytest.mark.parametrize(("persona", "status"), [("member_same", 403), ("officer", 403), ("member_other", 404), ("officer_other", 404)])
def test_refused_writes_change_nothing(client, world, kind, persona, status):
    client.force_login(getattr(world, persona))
    response = client.post(write_url(kind, world), WRITES[kind])
    assert response.status_code == status
    world.m_same.refresh_from_db()
    world.cell1.refresh_from_db()
    assert world.m_same.full_name == "Trần Thị Lan"
    assert world.cell1.name == "Chi bộ thôn 1"


def test_secretary_edits_a_member_and_it_is_audited(client, world):
    client.force_login(world.secretary)
    response = client.post(
        f"/dang-vien/{world.m_same.pk}/sua/",
        {"full_name": "Trần Thị Lan", "status": "chinh_thuc", "phone": "0912 345 678",
         "birth_date": "17/05/1980", "admission_date": "01/03/2005", "official_date": "01/03/2006"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    world.m_same.refresh_from_db()
    assert world.m_same.phone == "0912 345 678"
    from chibo.audit.models import AuditEntry

    entry = AuditEntry.objects.filter(object_type="members.member", object_id=str(world.m_same.pk), action="update").get()
    assert entry.actor == world.secretary
    assert entry.changes["phone"] == ["", "0912 345 678"]


def test_member_form_shows_vietnamese_errors_and_saves_nothing(client, world):
    client.force_login(world.secretary)
    before = Member.objects.count()
    response = client.post(
        f"/dang-vien/them/?to_chuc={world.cell1.pk}",
        {"organisation": world.cell1.pk, "full_name": "", "status": "du_bi",
         "birth_date": "31/02/1990", "official_date": "01/01/2020"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ngày phải theo dạng dd/mm/yyyy" in body
    assert Member.objects.count() == before


def test_secretary_adds_a_member_with_dd_mm_yyyy_dates(client, world):
    client.force_login(world.secretary)
    response = client.post(
        f"/dang-vien/them/?to_chuc={world.cell1.pk}",
        {"organisation": world.cell1.pk, "party_group": world.group1.pk, "full_name": "Đinh Thị Mỹ",
         "status": "du_bi", "birth_date": "02/09/1995", "admission_date": "19/05/2026",
         "cccd": "001195012345"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    member = Member.objects.get(full_name="Đinh Thị Mỹ")
    assert member.birth_date.isoformat() == "1995-09-02"
    assert member.party_group == world.group1
    assert member.cccd == "001195012345"
    assert member.cccd_encrypted and "001195012345" not in member.cccd_encrypted
    assert member.memberships.get().organisation == world.cell1


def test_cccd_is_masked_for_readers_and_shown_to_the_secretary(client, world):
    from chibo.members import services

    services.update_member(actor=None, member=world.m_same, cccd="001180004321")
    client.force_login(world.officer)
    body = client.get(f"/dang-vien/{world.m_same.pk}/").content.decode()
    assert "********4321" in body and "001180004321" not in body
    client.force_login(world.member_same)
    assert "001180004321" not in client.get(f"/dang-vien/{world.m_same.pk}/").content.decode()
    client.force_login(world.secretary)
    assert "001180004321" in client.get(f"/dang-vien/{world.m_same.pk}/").content.decode()


def test_member_list_is_scoped(client, world):
    client.force_login(world.officer)
    body = client.get("/dang-vien/").content.decode()
    assert "Trần Thị Lan" in body and "Hoàng Văn Nam" in body
    assert "Vũ Văn Đức" not in body
    client.force_login(world.officer_other)
    body = client.get("/dang-vien/").content.decode()
    assert "Vũ Văn Đức" in body and "Trần Thị Lan" not in body


def test_member_search_ignores_diacritics_and_tone_placement(client, world):
    client.force_login(world.officer)
    body = client.get("/dang-vien/", {"q": "phạm thị hòa"}).content.decode()
    assert "Phạm Thị Hoà" in body
    body = client.get("/dang-vien/", {"q": "pham thi hoa"}).content.decode()
    assert "Phạm Thị Hoà" in body and "Trần Thị Lan" not in body


def test_member_list_sorts_by_given_name(client, world):
    client.force_login(world.officer)
    body = client.get(f"/dang-vien/?to_chuc={world.cell1.pk}").content.decode()
    order = [body.index(n) for n in ["Lê Văn Bình", "Phạm Thị Hoà", "Nguyễn Văn Hùng", "Trần Thị Lan"]]
    assert order == sorted(order)


def test_cell_home_shows_birthdays_and_warnings(client, world):
    client.force_login(world.member_other)
    body = client.get(f"/to-chuc/{world.cell2.pk}/").content.decode()
    assert "ít hơn 3" in body
    assert "Sinh nhật trong tháng" in body


def test_home_sends_a_member_to_their_cell(client, world):
    client.force_login(world.member_same)
    assert client.get("/")["Location"] == f"/to-chuc/{world.cell1.pk}/"

"""Member services: validation in Vietnamese, history of memberships."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from chibo.members import services
from chibo.members.models import MemberStatus
from conftest import add_member

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fields", "field", "phrase"),
    [
        ({"full_name": ""}, "full_name", "Thiếu họ và tên"),
        ({"full_name": "Lan"}, "full_name", "ít nhất"),
        ({"birth_date": dt.date(2090, 1, 1)}, "birth_date", "ở tương lai"),
        ({"birth_date": dt.date(1990, 1, 1), "admission_date": dt.date(2005, 1, 1)}, "admission_date", "chưa đủ 18 tuổi"),
        ({"status": MemberStatus.PROBATIONARY, "official_date": dt.date(2020, 1, 1)}, "official_date", "dự bị không có ngày chính thức"),
        ({"admission_date": dt.date(2010, 1, 1), "official_date": dt.date(2009, 1, 1)}, "official_date", "trước ngày vào Đảng"),
        ({"phone": "abc"}, "phone", "không hợp lệ"),
        ({"card_number": "AB10001"}, "card_number", "đã có"),
    ],
)
def test_invalid_members_are_refused_in_vietnamese(world, fields, field, phrase):
    add_member(world.cell2, "Người Có Thẻ", card_number="AB10001")
    data = {"full_name": "Nguyễn Văn Mới", "birth_date": dt.date(1980, 1, 1)} | fields
    with pytest.raises(ValidationError) as info:
        services.create_member(actor=None, organisation=world.cell1, **data)
    assert phrase in " ".join(info.value.message_dict[field])


def test_a_member_cannot_be_placed_in_a_commune_or_a_foreign_group(world):
    with pytest.raises(ValidationError, match="không phải là chi bộ"):
        services.create_member(actor=None, organisation=world.an_binh, full_name="Nguyễn Văn A")
    with pytest.raises(ValidationError, match="không phải tổ đảng"):
        services.create_member(actor=None, organisation=world.cell2, party_group=world.group1, full_name="Nguyễn Văn A")


def test_cccd_must_be_twelve_digits_and_unique(world):
    services.update_member(actor=None, member=world.m_same, cccd="001180004321")
    with pytest.raises(ValidationError, match="đúng 12 chữ số"):
        services.create_member(actor=None, organisation=world.cell1, full_name="Nguyễn Văn A", cccd="12345")
    with pytest.raises(ValidationError, match="CCCD đã có"):
        services.create_member(actor=None, organisation=world.cell1, full_name="Nguyễn Văn A", cccd="001180004321")


def test_text_is_stored_nfc(world):
    import unicodedata

    member = services.create_member(
        actor=None, organisation=world.cell1, full_name=unicodedata.normalize("NFD", "Nguyễn  Thị   Ánh ")
    )
    assert member.full_name == "Nguyễn Thị Ánh"
    assert unicodedata.is_normalized("NFC", member.full_name)
    assert member.given_name == "Ánh"


def test_transfer_closes_the_old_membership_and_opens_a_new_one(world):
    services.transfer_member(
        actor=None, member=world.m_same, organisation=world.cell3, on=dt.date(2099, 1, 1) if False else None
    )
    history = list(world.m_same.memberships.order_by("start", "id"))
    assert [h.organisation for h in history] == [world.cell1, world.cell3]
    assert history[0].end is not None and history[1].end is None
    world.m_same.refresh_from_db()
    assert world.m_same.organisation == world.cell3 and world.m_same.party_group is None


def test_moving_within_the_cell_to_another_group(world):
    from chibo.organisations import services as org_services

    group2 = org_services.create_organisation(actor=None, name="Tổ đảng số 2", kind="to_dang", parent=world.cell1)
    services.transfer_member(actor=None, member=world.m_same, organisation=world.cell1, party_group=group2)
    world.m_same.refresh_from_db()
    assert world.m_same.party_group == group2


def test_the_roster_of_a_past_date_keeps_members_who_have_since_moved(world):
    from chibo.members.selectors import roster_on

    moved = dt.date(2026, 6, 1)
    services.transfer_member(actor=None, member=world.m_same, organisation=world.cell2, on=moved)
    before = {m.full_name for m in roster_on(world.cell1, moved - dt.timedelta(days=1))}
    after = {m.full_name for m in roster_on(world.cell1, moved)}
    assert "Trần Thị Lan" in before and "Trần Thị Lan" not in after
    assert "Trần Thị Lan" in {m.full_name for m in roster_on(world.cell2, moved)}


def test_two_secretaries_editing_a_member_get_a_conflict_not_a_silent_overwrite(world):
    from chibo.audit.models import AuditEntry

    seen = services.edit_version(world.m_same)  # both opened the record at this version
    services.update_member(actor=world.secretary, member=world.m_same, expected_version=seen, phone="0912 000 111")
    with pytest.raises(services.Conflict, match="vừa được người khác cập nhật"):
        services.update_member(actor=world.secretary, member=world.m_same, expected_version=seen, phone="0988 222 333")
    world.m_same.refresh_from_db()
    assert world.m_same.phone == "0912 000 111"
    assert services.edit_version(world.m_same) != seen
    assert AuditEntry.objects.filter(
        object_type="members.member", object_id=str(world.m_same.pk), action="update"
    ).count() == 1
    # With the version the second editor reloads, the edit goes through.
    services.update_member(
        actor=world.secretary, member=world.m_same, expected_version=services.edit_version(world.m_same),
        phone="0988 222 333",
    )
    world.m_same.refresh_from_db()
    assert world.m_same.phone == "0988 222 333"


def test_the_member_form_answers_a_stale_edit_with_409_and_keeps_the_record(client, world):
    client.force_login(world.secretary)
    page = client.get(f"/dang-vien/{world.m_same.pk}/sua/")
    seen = page.context["form"].initial["expected_version"]
    assert f'name="expected_version" value="{seen}"' in page.content.decode()
    services.update_member(actor=None, member=world.m_same, phone="0912 000 111")  # someone else saved meanwhile
    data = {"full_name": "Trần Thị Lan", "status": "chinh_thuc", "phone": "0988 222 333",
            "birth_date": "17/05/1980", "admission_date": "01/03/2005", "official_date": "01/03/2006",
            "expected_version": seen}
    response = client.post(f"/dang-vien/{world.m_same.pk}/sua/", data)
    assert response.status_code == 409
    assert "Hồ sơ đảng viên vừa được người khác cập nhật" in response.content.decode()
    world.m_same.refresh_from_db()
    assert world.m_same.phone == "0912 000 111"

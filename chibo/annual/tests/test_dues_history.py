"""Effective-dated dues profiles: a change applies from a chosen month, earlier months keep the
amount due under the profile then in force, and a month the upper level confirmed is never re-priced."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from chibo.annual import selectors, services
from chibo.annual.models import DuesProfile
from chibo.annual.tests.helpers import PRESENT, held_meeting
from chibo.annual.tests.test_api import call  # noqa: F401  (the bearer-token API fixture)
from chibo.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

END_2025 = dt.date(2025, 12, 31)


def _dues(world, member=None):  # type: ignore[no-untyped-def]
    row = selectors.dues_ledger(world.cell1, 2025, today=END_2025, only=member or world.m_same).rows[0]
    return [c.due for c in row.months]


def _salary(world, base: int, month: int):  # type: ignore[no-untyped-def]
    return services.set_dues_profile(
        actor=world.secretary,
        member=world.m_same,
        category="luong",
        base_income=base,
        valid_from=dt.date(2025, month, 1),
    )


def _locked_month(world, month: int) -> None:  # type: ignore[no-untyped-def]
    held_meeting(world.cell1, 2025, month, attendance={world.m_same: PRESENT}, dues={world.m_same: 50_000})
    rem = services.record_remittance(
        actor=world.secretary,
        cell=world.cell1,
        year=2025,
        month=month,
        amount=50_000,
        remitted_on=dt.date(2025, month, 25),
    )
    services.confirm_remittance(actor=world.officer, remittance=rem)


def test_a_change_in_july_leaves_january_to_june_and_prices_july_on(world):
    _salary(world, 5_000_000, 1)
    assert _dues(world) == [50_000] * 12
    _salary(world, 8_000_000, 7)
    assert _dues(world) == [50_000] * 6 + [80_000] * 6
    row = selectors.dues_ledger(world.cell1, 2025, today=END_2025, only=world.m_same).rows[0]
    assert row.profile.base_income == 8_000_000  # the version in force at the last month shown
    assert [p.valid_from for p in row.changes] == [dt.date(2025, 7, 1)]
    # The same month again replaces that version instead of adding one; the months before still hold.
    _salary(world, 9_000_000, 7)
    assert DuesProfile.objects.filter(member=world.m_same).count() == 2
    assert _dues(world) == [50_000] * 6 + [90_000] * 6
    # A change dated between two versions re-prices only up to the later one.
    _salary(world, 6_000_000, 4)
    assert _dues(world) == [50_000] * 3 + [60_000] * 3 + [90_000] * 6


def test_the_change_defaults_to_the_current_month_and_is_audited(world):
    services.set_dues_profile(
        actor=world.secretary,
        member=world.m_same,
        category="khac",
        fixed_amount=10_000,
        valid_from=dt.date(2025, 1, 1),
    )
    before = AuditEntry.objects.count()
    p = services.set_dues_profile(
        actor=world.secretary, member=world.m_same, category="khac", fixed_amount=20_000
    )
    assert p.valid_from == timezone.localdate().replace(day=1)
    assert _dues(world) == [10_000] * 12  # 2025 untouched
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.changes["valid_from"] == ["", f"{p.valid_from:%m/%Y}"]
    assert selectors.profile_in_force(world.m_same).fixed_amount == 20_000


def test_a_change_into_a_confirmed_month_is_refused_and_changes_nothing(world):
    _salary(world, 5_000_000, 1)
    _locked_month(world, 8)
    versions, audits = DuesProfile.objects.count(), AuditEntry.objects.count()
    for month in (7, 8):
        with pytest.raises(ValidationError) as exc:
            _salary(world, 8_000_000, month)
        msg = exc.value.message_dict["valid_from"][0]
        assert "tháng 08/2025 đã được cấp trên xác nhận" in msg and "sau tháng 08/2025" in msg
    assert DuesProfile.objects.count() == versions and AuditEntry.objects.count() == audits
    assert _dues(world) == [50_000] * 12
    _salary(world, 8_000_000, 9)  # after the locked month: allowed
    assert _dues(world) == [50_000] * 8 + [80_000] * 4
    _locked_month(world, 10)
    _locked_month(world, 11)
    with pytest.raises(ValidationError) as exc:  # several locked months: the advice names the last one
        _salary(world, 9_000_000, 9)
    msg = exc.value.message_dict["valid_from"][0]
    assert msg.startswith("Đảng phí tháng 10/2025") and "sau tháng 11/2025 (tháng cuối cùng đã khóa)" in msg
    assert _dues(world) == [50_000] * 8 + [80_000] * 4


def test_a_change_before_a_later_version_ignores_locks_the_later_version_covers(world):
    _salary(world, 5_000_000, 1)
    _salary(world, 7_000_000, 9)
    _locked_month(world, 10)  # priced by the September version, which a change from March does not touch
    _salary(world, 6_000_000, 3)
    assert _dues(world) == [50_000] * 2 + [60_000] * 6 + [70_000] * 4


def test_approving_a_voluntary_amount_that_would_re_price_a_confirmed_month_is_refused(world):
    p = services.set_dues_profile(
        actor=world.secretary,
        member=world.m_same,
        category="khac",
        fixed_amount=10_000,
        voluntary_amount=50_000,
        valid_from=dt.date(2025, 1, 1),
    )
    _locked_month(world, 3)
    with pytest.raises(ValidationError, match="tháng 03/2025, tháng đã được cấp trên xác nhận"):
        services.approve_voluntary(actor=world.secretary, profile=p)
    p.refresh_from_db()
    assert p.voluntary_approved_at is None


def test_the_meeting_panel_prices_the_meeting_month_by_the_version_then_in_force(world):
    _salary(world, 5_000_000, 1)
    _salary(world, 8_000_000, 7)
    march = held_meeting(
        world.cell1, 2025, 3, attendance={world.m_same: PRESENT}, dues={world.m_same: 50_000}
    )
    july = held_meeting(world.cell1, 2025, 7, attendance={world.m_same: PRESENT}, dues={world.m_same: 50_000})
    assert selectors.meeting_dues(march)["due"] == 50_000 and selectors.meeting_dues(march)["short"] == []
    assert selectors.meeting_dues(july)["due"] == 80_000
    assert selectors.meeting_dues(july)["short"] == [world.m_same.full_name]


# --- the change operation over HTTP: secretary, outsider, member, locked month -------------------
def _post(client, world, persona, data):  # type: ignore[no-untyped-def]
    client.force_login(getattr(world, persona))
    return client.post(f"/hang-nam/dang-vien/{world.m_same.pk}/dang-phi/", data, follow=True)


CHANGE = {"category": "luong", "base_income": 8_000_000, "valid_from": "07/2025"}


def test_the_secretary_changes_the_profile_from_a_month(world, client):
    _salary(world, 5_000_000, 1)
    resp = _post(client, world, "secretary", CHANGE)
    assert resp.status_code == 200 and "áp dụng từ tháng 07/2025" in resp.content.decode()
    assert _dues(world) == [50_000] * 6 + [80_000] * 6


@pytest.mark.parametrize(
    ("persona", "status"), [("member_other", 404), ("officer_other", 404), ("member_same", 403)]
)
def test_outsiders_and_members_cannot_change_the_profile(world, client, persona, status):
    _salary(world, 5_000_000, 1)
    client.force_login(getattr(world, persona))
    resp = client.post(f"/hang-nam/dang-vien/{world.m_same.pk}/dang-phi/", CHANGE)
    assert resp.status_code == status
    assert DuesProfile.objects.count() == 1 and _dues(world) == [50_000] * 12


def test_the_page_explains_a_change_into_a_confirmed_month(world, client):
    _salary(world, 5_000_000, 1)
    _locked_month(world, 8)
    audits = AuditEntry.objects.count()
    body = _post(client, world, "secretary", CHANGE).content.decode()
    assert "Đảng phí tháng 08/2025 đã được cấp trên xác nhận nhận" in body
    assert DuesProfile.objects.count() == 1 and AuditEntry.objects.count() == audits
    body = _post(client, world, "secretary", {**CHANGE, "valid_from": "13/2025"}).content.decode()
    assert "ví dụ 07/2026" in body and DuesProfile.objects.count() == 1


def test_the_member_year_page_lists_the_changes_of_the_year(world, client):
    _salary(world, 5_000_000, 1)
    _salary(world, 8_000_000, 7)
    client.force_login(world.secretary)
    body = client.get(f"/hang-nam/dang-vien/{world.m_same.pk}/2025/").content.decode()
    assert "Từ tháng 07/2025" in body and "các tháng trước giữ mức cũ" in body


def test_the_api_takes_the_month_a_change_applies_from(world, call):  # noqa: F811
    _salary(world, 5_000_000, 1)
    path = f"/annual/members/{world.m_same.pk}/dues-profile"
    resp = call(
        world.secretary,
        "PUT",
        path,
        {"category": "luong", "base_income": 8_000_000, "valid_from": "2025-07-15"},
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["valid_from"] == "2025-07-01"
    assert _dues(world) == [50_000] * 6 + [80_000] * 6
    _locked_month(world, 9)
    resp = call(
        world.secretary,
        "PUT",
        path,
        {"category": "luong", "base_income": 9_000_000, "valid_from": "2025-08-01"},
    )
    assert resp.status_code == 422 and "09/2025" in resp.json()["errors"]["valid_from"][0]
    assert (
        call(world.member_other, "PUT", path, {"category": "khac", "fixed_amount": 5_000}).status_code == 404
    )
    assert (
        call(world.member_same, "PUT", path, {"category": "khac", "fixed_amount": 5_000}).status_code == 403
    )
    assert DuesProfile.objects.count() == 2

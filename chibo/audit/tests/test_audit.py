"""The audit log is append-only and visible to administrators of the subtree only."""

from __future__ import annotations

import pytest

from chibo.audit.models import AuditEntry
from chibo.members import services

pytestmark = pytest.mark.django_db


def test_entries_cannot_be_edited_or_deleted(world):
    entry = AuditEntry.objects.first()
    entry.object_repr = "sửa"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().update(object_repr="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


def test_cccd_changes_are_logged_without_the_number(world):
    services.update_member(actor=world.secretary, member=world.m_same, cccd="001180004321")
    entry = AuditEntry.objects.filter(object_type="members.member", object_id=str(world.m_same.pk), action="update").get()
    assert entry.changes["cccd"] == ["", "***"]
    assert "001180004321" not in str(entry.changes)


def test_member_creation_deletion_and_transfer_are_logged(world):
    services.transfer_member(actor=world.admin, member=world.m_other, organisation=world.cell3)
    services.delete_member(actor=world.admin, member=world.m_other)
    actions = list(AuditEntry.objects.filter(object_type="members.member", object_id=str(world.m_other.pk)).values_list("action", flat=True))
    assert sorted(actions) == ["create", "delete", "move", "move"]


def test_admin_of_the_subtree_sees_the_log_others_do_not(client, world):
    services.update_member(actor=world.admin, member=world.m_same, phone="0987654321")
    client.force_login(world.admin)
    body = client.get(f"/nhat-ky/?to_chuc={world.cell1.pk}").content.decode()
    assert "Trần Thị Lan" in body and "0987654321" in body
    assert "Vũ Văn Đức" not in body
    client.force_login(world.secretary)
    assert client.get("/nhat-ky/").status_code == 403

"""The organisation tree: placement rules, subtree moves with history, terms, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from chibo.audit.models import AuditAction, AuditEntry
from chibo.organisations import selectors, services
from chibo.organisations.models import Organisation, OrganisationMove, OrgKind

pytestmark = pytest.mark.django_db


def test_paths_encode_the_tree_at_any_depth(world):
    assert world.province.path == f"/{world.province.pk}/"
    assert world.group1.path == f"{world.cell1.path}{world.group1.pk}/"
    assert world.group1.depth == 3
    subtree = set(Organisation.objects.filter(path__startswith=world.an_binh.path))
    assert subtree == {world.an_binh, world.cell1, world.group1, world.cell2}


def test_a_party_group_must_sit_under_a_cell(world):
    with pytest.raises(ValidationError, match="Tổ đảng phải thuộc một chi bộ"):
        services.create_organisation(actor=None, name="Tổ lạc", kind=OrgKind.GROUP, parent=world.an_binh)


def test_only_party_groups_sit_under_a_cell(world):
    with pytest.raises(ValidationError, match="Dưới chi bộ chỉ có tổ đảng"):
        services.create_organisation(actor=None, name="Chi bộ con", kind=OrgKind.CELL, parent=world.cell1)


def test_a_cell_needs_a_parent(db):
    with pytest.raises(ValidationError, match="phải có cấp trên"):
        services.create_organisation(actor=None, name="Chi bộ mồ côi", kind=OrgKind.CELL, parent=None)


def test_codes_are_unique(world):
    with pytest.raises(ValidationError, match="đã được dùng"):
        services.create_organisation(
            actor=None, name="Chi bộ thôn 3", kind=OrgKind.CELL, parent=world.an_binh, code="AB-T1"
        )


def test_moving_a_cell_moves_its_whole_subtree_and_keeps_history(world):
    services.move_organisation(actor=world.admin, org=world.cell1, new_parent=world.hoa_lac, note="QĐ 12")
    world.cell1.refresh_from_db()
    world.group1.refresh_from_db()
    assert world.cell1.parent == world.hoa_lac
    assert world.cell1.path == f"{world.hoa_lac.path}{world.cell1.pk}/"
    assert world.group1.path == f"{world.cell1.path}{world.group1.pk}/"
    assert world.group1.depth == 3
    move = OrganisationMove.objects.get(organisation=world.cell1)
    assert (move.from_parent_name, move.to_parent_name, move.note) == (
        "Đảng ủy xã An Bình", "Đảng ủy xã Hòa Lạc", "QĐ 12",
    )
    assert AuditEntry.objects.filter(action=AuditAction.MOVE, object_id=str(world.cell1.pk)).exists()


def test_a_node_cannot_move_into_its_own_subtree(world):
    with pytest.raises(ValidationError, match="chính nó hoặc cấp dưới"):
        services.move_organisation(actor=None, org=world.an_binh, new_parent=world.cell1)


def test_effective_rulebook_is_inherited_unless_set(world):
    assert selectors.effective_rulebook(world.group1).code == "hd42-2025"
    services.update_organisation(actor=None, org=world.an_binh, rulebook_code="hd12-2018")
    world.cell1.refresh_from_db()
    assert selectors.effective_rulebook(world.cell1).code == "hd12-2018"
    assert selectors.effective_rulebook(world.cell3).code == "hd42-2025"


def test_unknown_rulebook_is_refused(world):
    with pytest.raises(ValidationError, match="Không có bộ quy tắc"):
        services.update_organisation(actor=None, org=world.cell1, rulebook_code="khong-co")


def test_terms_cannot_overlap_and_the_current_one_is_found(world):
    services.add_term(actor=None, org=world.cell1, name="2020–2025", start=dt.date(2020, 7, 1), end=dt.date(2025, 6, 30))
    services.add_term(actor=None, org=world.cell1, name="2025–2030", start=dt.date(2025, 7, 1), end=dt.date(2030, 6, 30))
    with pytest.raises(ValidationError, match="trùng"):
        services.add_term(actor=None, org=world.cell1, name="x", start=dt.date(2024, 1, 1), end=dt.date(2026, 1, 1))
    assert selectors.current_term(world.cell1, dt.date(2026, 11, 22)).name == "2025–2030"
    assert selectors.current_term(world.cell1, dt.date(2021, 1, 1)).name == "2020–2025"


def test_updates_are_audited_with_before_and_after(world):
    services.update_organisation(actor=world.admin, org=world.cell2, name="Chi bộ thôn Hai")
    entry = AuditEntry.objects.filter(object_id=str(world.cell2.pk), action=AuditAction.UPDATE).get()
    assert entry.changes["name"] == ["Chi bộ thôn 2", "Chi bộ thôn Hai"]
    assert entry.actor == world.admin


def test_member_counts_cover_the_subtree(world):
    counts = {o.name: o.subtree_members for o in selectors.with_member_counts(Organisation.objects.all())}
    assert counts["Đảng ủy xã An Bình"] == 6
    assert counts["Chi bộ thôn 1"] == 4
    assert counts["Đảng bộ tỉnh Test"] == 7
    group = selectors.with_member_counts(Organisation.objects.filter(pk=world.group1.pk)).get()
    assert group.group_member_count == 2


def test_children_sort_the_vietnamese_way(world):
    for name in ["Chi bộ Đông Hòa", "Chi bộ Đình Bảng", "Chi bộ Đa Phúc", "Chi bộ Dương Liễu"]:
        services.create_organisation(actor=None, name=name, kind=OrgKind.CELL, parent=world.hoa_lac)
    names = [c.name for c in selectors.children(world.hoa_lac)]
    assert names == [
        "Chi bộ Dương Liễu", "Chi bộ Đa Phúc", "Chi bộ Đình Bảng", "Chi bộ Đông Hòa", "Chi bộ Trường Tiểu học",
    ]


def test_search_ignores_diacritics_and_tone_placement(world):
    assert [o.name for o in selectors.search(world.admin, "hoa lac")] == ["Đảng ủy xã Hòa Lạc"]
    assert [o.name for o in selectors.search(world.admin, "Hoà Lạc")] == ["Đảng ủy xã Hòa Lạc"]
    assert selectors.search(world.officer_other, "thon") == []


def test_a_founding_date_is_kept_audited_and_never_in_the_future(world, client):
    day = dt.date(2026, 3, 15)
    services.update_organisation(actor=world.admin, org=world.cell2, founded_on=day)
    world.cell2.refresh_from_db()
    assert world.cell2.founded_on == day
    entry = AuditEntry.objects.filter(object_id=str(world.cell2.pk), action=AuditAction.UPDATE).get()
    assert entry.changes["founded_on"] == [None, "15/03/2026"]
    with pytest.raises(ValidationError, match="tương lai"):
        services.update_organisation(actor=world.admin, org=world.cell2, founded_on=dt.date(2999, 1, 1))
    world.cell2.refresh_from_db()
    assert world.cell2.founded_on == day
    # The edit form takes dd/mm/yyyy and the detail page shows it the same way.
    client.force_login(world.admin)
    resp = client.post(
        f"/to-chuc/{world.cell1.pk}/sua/",
        {"name": world.cell1.name, "kind": world.cell1.kind, "code": world.cell1.code or "",
         "founded_on": "01/02/2025", "rulebook_code": "", "address": ""},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    world.cell1.refresh_from_db()
    assert world.cell1.founded_on == dt.date(2025, 2, 1)
    assert "01/02/2025" in client.get(f"/to-chuc/{world.cell1.pk}/").content.decode()


@pytest.mark.parametrize("indexed", [True, False])
def test_in_subtree_is_exactly_the_paths_under_the_node(world, indexed):
    """SQLite reads a subtree as a path range; a sibling whose id starts with the same digits
    ('/1/2/' and '/1/20/') or a path one character past it must stay out."""
    from chibo.organisations.models import in_subtree

    an_binh = world.an_binh.path  # e.g. '/1/2/'
    Organisation.objects.filter(pk=world.cell3.pk).update(path=an_binh[:-1] + "0/")  # '/1/20/'
    Organisation.objects.filter(pk=world.hoa_lac.pk).update(path=an_binh[:-1] + "0")  # '/1/20'
    got = set(Organisation.objects.filter(in_subtree(an_binh, indexed=indexed)).values_list("pk", flat=True))
    assert got == {world.an_binh.pk, world.cell1.pk, world.group1.pk, world.cell2.pk}
    through = set(
        Organisation.objects.filter(in_subtree(an_binh, "parent__", indexed=indexed)).values_list("pk", flat=True)
    )
    assert through == {world.cell1.pk, world.group1.pk, world.cell2.pk}


def test_the_nearest_committee_s_rulebook_and_its_newest_version_in_one_statement(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chibo.rules import services as rule_services
    from chibo.rules.tests.test_variants import CODE, variant

    rule_services.save_variant(actor=world.admin, organisation=world.province, text=variant(minutes=100))
    services.update_organisation(actor=None, org=world.province, rulebook_code="hd12-2018")
    services.update_organisation(actor=None, org=world.an_binh, rulebook_code=CODE)
    rule_services.save_variant(actor=world.admin, organisation=world.province, text=variant(minutes=120))
    for org in (world.cell1, world.cell3, world.group1):
        org.refresh_from_db()
    selectors.effective_rulebook(world.cell1)  # (the new version parsed once)
    with CaptureQueriesContext(connection) as q:
        book = selectors.effective_rulebook(world.cell1)  # the commune's, nearer than the province's
    assert (book.code, book.version, book.duration.min_minutes) == (CODE, 2, 120) and len(q) == 1
    assert selectors.effective_rulebook(world.cell3).code == "hd12-2018"  # Hòa Lạc: the province's
    services.update_organisation(actor=None, org=world.cell1, rulebook_code="hd42-2025")
    world.cell1.refresh_from_db()
    assert selectors.effective_rulebook(world.cell1).code == "hd42-2025"  # its own comes first

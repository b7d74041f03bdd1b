"""The member import's write path: what it stores must be what Member.save() stores.

The suite runs on SQLite and on PostgreSQL (DATABASE_URL): on PostgreSQL apply_batch
writes with COPY and ids drawn from the sequence, on SQLite with INSERT ... RETURNING;
both are held here to the same rows as the ORM's own save, so they agree with each other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from chibo.core import crypto
from chibo.members import imports
from chibo.members import services as member_services
from chibo.members.models import ImportBatch, Member, Membership
from chibo.members.tests.test_import_export import HEADERS, bulk_rows, csv_bytes, good_rows, member_row

# Columns that differ between two saves of the same member by design.
VOLATILE = {"id", "created_at", "updated_at", "cccd_encrypted"}


def stored(member: Member) -> dict[str, Any]:
    values = {f.attname: getattr(member, f.attname) for f in Member._meta.concrete_fields}
    return {k: v for k, v in values.items() if k not in VOLATILE}


def test_imported_members_are_stored_exactly_as_the_orm_stores_them(world):
    batch, _ = imports.create_batch(user=world.admin, file_name="a.csv", data=csv_bytes(good_rows()))
    assert imports.apply_batch(batch=batch, user=world.admin).ok
    imported = list(Member.objects.filter(memberships__note="Nhập từ tệp a.csv").order_by("id"))
    assert len(imported) == 4

    for member in imported:
        # The same member saved through the ORM (Member.save fills the derived columns).
        given = {f.attname: getattr(member, f.attname) for f in Member._meta.concrete_fields if f.editable}
        twin = Member(**{k: v for k, v in given.items() if k != "id"})
        cccd = member.cccd
        twin.card_number = None  # unique: give the twin its own below
        twin.set_cccd("")
        twin.save()
        twin.refresh_from_db()
        expected = stored(twin) | {
            "card_number": member.card_number,
            "cccd_hash": crypto.blind_index(cccd) or None,
            "cccd_last4": cccd[-4:],
        }
        assert stored(member) == expected
        assert member.created_at is not None and member.updated_at is not None
        twin.delete()

    # Each membership points at its own member, in that member's cell and tổ đảng.
    for member in imported:
        (membership,) = Membership.objects.filter(member=member)
        assert (membership.organisation_id, membership.party_group_id) == (
            member.organisation_id,
            member.party_group_id,
        )


def test_ids_taken_by_the_import_do_not_collide_with_later_saves(world):
    batch, _ = imports.create_batch(user=world.admin, file_name="b.csv", data=csv_bytes(bulk_rows(30)))
    assert imports.apply_batch(batch=batch, user=world.admin).ok
    imported_ids = set(Member.objects.filter(card_number__startswith="T").values_list("id", flat=True))
    assert len(imported_ids) == 30
    later = member_services.create_member(actor=None, organisation=world.cell1, full_name="Người Sau")
    assert later.pk not in imported_ids and later.pk > max(imported_ids)


def test_cccd_typed_with_spaces_is_stored_normalised_and_encrypted_once(world):
    rows = [HEADERS, member_row(**{"Họ và tên": "Vũ Văn Cẩn", "Số CCCD": "001 185 067 890"})]
    batch, _ = imports.create_batch(user=world.admin, file_name="c.csv", data=csv_bytes(rows))
    token = batch.rows[0]["values"]["cccd"]
    assert crypto.decrypt(token) == "001185067890"
    assert imports.apply_batch(batch=batch, user=world.admin).ok
    member = Member.objects.get(full_name="Vũ Văn Cẩn")
    assert member.cccd == "001185067890" and member.cccd_last4 == "7890"
    assert member.cccd_hash == crypto.blind_index("001185067890")
    assert member.cccd_encrypted == token  # the preview's token, not a second encryption


def test_batch_sealed_before_tokens_were_normalised_still_applies(world):
    """A pending batch stored by the previous version (token of the CCCD as typed) is
    re-encrypted from the normalised value at the write."""
    rows = [HEADERS, member_row(**{"Họ và tên": "Vũ Văn Cẩn", "Số CCCD": "001 185 067 890"})]
    batch, _ = imports.create_batch(user=world.admin, file_name="c.csv", data=csv_bytes(rows))
    old_token = crypto.encrypt("001 185 067 890")
    stored_rows = batch.rows
    stored_rows[0]["values"]["cccd"] = old_token
    ImportBatch.objects.filter(pk=batch.pk).update(rows=stored_rows)

    assert imports.apply_batch(batch=batch, user=world.admin).ok
    member = Member.objects.get(full_name="Vũ Văn Cẩn")
    assert member.cccd == "001185067890" and member.cccd_encrypted != old_token


def test_finished_batch_keeps_every_row_in_order_without_its_cccd_token(world):
    content = csv_bytes(bulk_rows(25))
    applied, _ = imports.create_batch(user=world.admin, file_name="d.csv", data=content)
    cancelled, _ = imports.create_batch(
        user=world.admin, file_name="e.csv", data=csv_bytes(bulk_rows(25, offset=100))
    )
    before = {applied.pk: applied.rows, cancelled.pk: cancelled.rows}
    assert all(row["values"]["cccd"] for row in applied.rows)

    assert imports.apply_batch(batch=applied, user=world.admin).ok
    assert imports.cancel_batch(batch=cancelled)

    for batch in (applied, cancelled):
        batch.refresh_from_db()
        expected = [
            {**row, "values": {k: v for k, v in row["values"].items() if k != "cccd"}}
            for row in before[batch.pk]
        ]
        assert batch.rows == expected  # same rows, same order, masks kept, tokens gone
        assert [row["line"] for row in batch.rows] == list(range(2, 27))
        assert batch.rows[0]["cccd_masked"].startswith("********")


def test_validation_that_keeps_or_consumes_no_rows_finds_the_same_problems(world):
    rows = bulk_rows(40)
    rows[5][HEADERS.index("Số thẻ đảng viên")] = rows[2][HEADERS.index("Số thẻ đảng viên")]  # a duplicate
    rows[7][HEADERS.index("Ngày sinh")] = "31/02/1980"
    raw = imports.read_table("csv", csv_bytes(rows)).rows
    full = imports.validate_rows([dict(r) for r in raw], user=world.secretary)
    lean = imports.validate_rows([dict(r) for r in raw], user=world.secretary, keep=False)
    consumed_rows: list[Any] = [dict(r) for r in raw]
    consumed = imports.validate_rows(consumed_rows, user=world.secretary, consume=True)

    assert set(full.errors) == {6, 8}
    assert "trùng với dòng 3" in full.errors[6][0]
    assert lean.errors == full.errors == consumed.errors
    assert lean.rows == [] and len(consumed.rows) == len(full.rows) == 40
    assert consumed_rows == [None] * 40  # each raw row was let go once parsed
    assert [(r.line, r.fields, r.cccd) for r in consumed.rows] == [
        (r.line, r.fields, r.cccd) for r in full.rows
    ]


def test_lookups_use_one_query_per_kind_on_postgresql(world):
    from django.test.utils import CaptureQueriesContext

    Member.objects.filter(pk=world.m_same.pk).update(card_number="T00000003")
    raw = imports.read_table("csv", csv_bytes(bulk_rows(1200))).rows
    with CaptureQueriesContext(connection) as ctx:
        validation = imports.validate_rows(raw, user=world.secretary, keep=False)
    assert validation.errors == {5: ["Số thẻ đảng viên T00000003 đã có ở một đảng viên khác."]}
    member_queries = [q["sql"] for q in ctx.captured_queries if '"members_member"' in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(member_queries) == 2 and all("ANY" in q for q in member_queries)
    else:  # IN lists of QUERY_CHUNK values
        assert len(member_queries) == 2 * -(-1200 // imports.QUERY_CHUNK)


def test_dates_and_booleans_round_trip_through_the_write(world):
    rows = [
        HEADERS,
        member_row(
            **{"Họ và tên": "Lê Thị Mơ", "Ngày sinh": "29/02/1980", "Miễn sinh hoạt từ ngày": "01/01/2024"}
        ),
    ]
    batch, _ = imports.create_batch(user=world.admin, file_name="f.csv", data=csv_bytes(rows))
    assert imports.apply_batch(batch=batch, user=world.admin).ok
    mo = Member.objects.get(full_name="Lê Thị Mơ")
    assert (mo.birth_date, mo.exempt_from, mo.special_duty) == (
        dt.date(1980, 2, 29),
        dt.date(2024, 1, 1),
        False,
    )
    assert mo.ethnicity == "Kinh" and mo.temp_direction == "" and mo.left_at is None

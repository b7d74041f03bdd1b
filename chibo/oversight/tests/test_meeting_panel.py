"""The upper committee's panel on the meeting page ({% oversight_panel %}): the officer's visit,
the peer pairing and the model-meeting mark show when they exist (one query asks for all three)."""

from __future__ import annotations

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
    assert len(asked) == 2  # whether one exists (with the pairing and visit), then the one found

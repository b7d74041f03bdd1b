"""Two people editing the same organisation: the stale save is refused with the current values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chibo.accounts.models import ApiToken
from chibo.audit.models import AuditEntry
from chibo.organisations import services
from chibo.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def api(client: Any, user: Any, method: str, path: str, data: Any = None) -> Any:
    auth = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user)[1]}"}
    if method == "GET":
        return client.get("/api/v1" + path, **auth)
    return getattr(client, method.lower())(
        "/api/v1" + path, json.dumps(data), content_type="application/json", **auth
    )


def form(org: Organisation, **changes: str) -> dict[str, str]:
    data = {
        "name": org.name,
        "kind": org.kind,
        "code": org.code or "",
        "rulebook_code": org.rulebook_code,
        "address": org.address,
        "founded_on": "",
    }
    return {**data, **changes}


def saved(org: Organisation) -> tuple:
    o = Organisation.objects.get(pk=org.pk)
    return (o.name, o.code, o.address, o.rulebook_code, AuditEntry.objects.count())


def test_the_edit_form_saves_with_the_version_it_was_drawn_from(client, world):
    client.force_login(world.secretary)
    page = client.get(f"/to-chuc/{world.cell1.pk}/sua/").content.decode()
    seen = services.edit_version(world.cell1)
    assert f'name="expected_version" value="{seen}"' in page
    response = client.post(
        f"/to-chuc/{world.cell1.pk}/sua/", form(world.cell1, address="Nhà văn hóa", expected_version=seen)
    )
    assert response.status_code == 302
    assert Organisation.objects.get(pk=world.cell1.pk).address == "Nhà văn hóa"


def test_a_stale_edit_form_is_refused_with_the_current_values_and_nothing_changes(client, world):
    seen = services.edit_version(world.cell1)
    services.update_organisation(actor=world.admin, org=world.cell1, address="Đình làng")  # the other editor
    before = saved(world.cell1)
    client.force_login(world.secretary)
    response = client.post(
        f"/to-chuc/{world.cell1.pk}/sua/", form(world.cell1, address="Nhà văn hóa", expected_version=seen)
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "vừa được người khác sửa" in page and "địa điểm sinh hoạt “Đình làng”" in page
    assert 'value="Nhà văn hóa"' in page  # what the user typed is kept
    assert saved(world.cell1) == before
    # the form now carries the current version: saving again after reading the message works
    now = services.edit_version(Organisation.objects.get(pk=world.cell1.pk))
    assert f'name="expected_version" value="{now}"' in page
    response = client.post(
        f"/to-chuc/{world.cell1.pk}/sua/", form(world.cell1, address="Nhà văn hóa", expected_version=now)
    )
    assert response.status_code == 302
    assert Organisation.objects.get(pk=world.cell1.pk).address == "Nhà văn hóa"


def test_an_outsider_gets_404_with_or_without_a_version(client, world):
    seen = services.edit_version(world.cell1)
    before = saved(world.cell1)
    client.force_login(world.officer_other)
    response = client.post(
        f"/to-chuc/{world.cell1.pk}/sua/", form(world.cell1, address="X", expected_version=seen)
    )
    assert response.status_code == 404
    assert (
        api(
            client,
            world.officer_other,
            "PATCH",
            f"/organisations/{world.cell1.pk}",
            {"address": "X", "expected_version": seen},
        ).status_code
        == 404
    )
    assert saved(world.cell1) == before


def test_the_api_patch_same_version_saves_stale_is_409(client, world):
    seen = api(client, world.secretary, "GET", f"/organisations/{world.cell1.pk}").json()["version"]
    assert seen == services.edit_version(world.cell1)
    first = api(
        client,
        world.secretary,
        "PATCH",
        f"/organisations/{world.cell1.pk}",
        {"address": "Bản A", "expected_version": seen},
    )
    assert first.status_code == 200 and first.json()["version"] != seen
    before = saved(world.cell1)
    stale = api(
        client,
        world.secretary,
        "PATCH",
        f"/organisations/{world.cell1.pk}",
        {"address": "Bản B", "expected_version": seen},
    )
    assert stale.status_code == 409 and "“Bản A”" in stale.json()["detail"]
    assert saved(world.cell1) == before
    doc = client.get("/api/v1/openapi.json").json()
    assert "409" in doc["paths"]["/api/v1/organisations/{org_id}"]["patch"]["responses"]
    assert "expected_version" in doc["components"]["schemas"]["OrganisationPatchIn"]["properties"]

"""Two officers writing the conclusion of the same inspection item: the stale save is refused with
the current result and conclusion, and nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chibo.audit.models import AuditEntry
from chibo.oversight import services
from chibo.oversight.models import InspectionItem

pytestmark = pytest.mark.django_db


def _item(world) -> InspectionItem:  # type: ignore[no-untyped-def]
    year = timezone.localdate().year
    p = services.create_programme(actor=world.officer, committee=world.an_binh, year=year)
    return services.add_inspection_item(
        actor=world.officer,
        programme=p,
        content="Sinh hoạt chi bộ",
        period_from=dt.date(year, 1, 1),
        period_to=dt.date(year, 1, 31),
        officer=world.officer,
        subject_cell=world.cell1,
    )


def saved(item: InspectionItem) -> tuple:
    i = InspectionItem.objects.get(pk=item.pk)
    return (i.result, i.conclusion, i.status, AuditEntry.objects.count())


def test_a_conclusion_saves_with_the_version_shown_and_a_stale_one_is_refused(client, world):
    item = _item(world)
    url = f"/cap-tren/kiem-tra/noi-dung/{item.pk}/"
    client.force_login(world.officer)
    seen = services.conclusion_version(item)
    assert f'name="expected_version" value="{seen}"' in client.get(url).content.decode()
    data = {"action": "conclude", "result": "Đạt", "conclusion": "Thực hiện tốt", "expected_version": seen}
    assert client.post(url, data).status_code == 302
    assert saved(item)[:2] == ("Đạt", "Thực hiện tốt")
    before = saved(item)
    response = client.post(url, {**data, "conclusion": "Chưa đạt yêu cầu"})
    assert response.status_code == 409
    page = response.content.decode()
    assert (
        "vừa được người khác sửa" in page
        and "kết luận “Thực hiện tốt”" in page
        and "Chưa đạt yêu cầu" in page
    )
    assert saved(item) == before
    current = services.conclusion_version(InspectionItem.objects.get(pk=item.pk))
    assert f'name="expected_version" value="{current}"' in page
    assert (
        client.post(url, {**data, "conclusion": "Chưa đạt yêu cầu", "expected_version": current}).status_code
        == 302
    )
    assert saved(item)[1] == "Chưa đạt yêu cầu"


def test_an_outsider_gets_404_and_the_cell_403_even_with_the_right_version(client, world):
    item = _item(world)
    url = f"/cap-tren/kiem-tra/noi-dung/{item.pk}/"
    data = {
        "action": "conclude",
        "result": "X",
        "conclusion": "Y",
        "expected_version": services.conclusion_version(item),
    }
    before = saved(item)
    client.force_login(world.officer_other)
    assert client.post(url, data).status_code == 404
    client.force_login(world.secretary)
    assert client.post(url, data).status_code == 404  # the committee is outside the cell's subtree
    assert saved(item) == before

"""Two secretaries editing a topic's outline: the stale save is refused with the current outline."""

from __future__ import annotations

import pytest

from chibo.audit.models import AuditEntry
from chibo.documents import services
from chibo.documents.tests.test_views import _topic
from chibo.meetings.models import ThematicTopic

pytestmark = pytest.mark.django_db
DATA = {"outline": "1. Nội dung\n- Gần dân\n2. Việc làm", "key_points": "Trọng dân", "conclusion": "Làm ngay."}


def saved(topic: ThematicTopic) -> tuple:
    t = ThematicTopic.objects.get(pk=topic.pk)
    return (t.outline, t.key_points, t.conclusion, AuditEntry.objects.count())


def test_the_outline_saves_with_the_version_shown_and_a_stale_one_is_refused(client, world):
    topic = _topic(world)
    url = f"/van-ban/chuyen-de/{topic.pk}/de-cuong/"
    client.force_login(world.secretary)
    seen = services.outline_version(topic)
    assert f'name="expected_version" value="{seen}"' in client.get(url).content.decode()
    assert client.post(url, {**DATA, "expected_version": seen}).status_code == 302
    assert saved(topic)[0] == DATA["outline"]
    before = saved(topic)
    response = client.post(url, {"outline": "1. Phần khác", "expected_version": seen})  # drawn before the save
    assert response.status_code == 409
    page = response.content.decode()
    assert "vừa được người khác sửa" in page and "“Trọng dân”" in page and "1. Phần khác" in page
    assert saved(topic) == before
    current = services.outline_version(ThematicTopic.objects.get(pk=topic.pk))
    assert f'name="expected_version" value="{current}"' in page
    assert client.post(url, {"outline": "1. Phần khác", "expected_version": current}).status_code == 302
    assert saved(topic)[0] == "1. Phần khác"


def test_an_outsider_gets_404_and_a_reader_403_even_with_the_right_version(client, world):
    topic = _topic(world)
    url = f"/van-ban/chuyen-de/{topic.pk}/de-cuong/"
    seen = services.outline_version(topic)
    before = saved(topic)
    client.force_login(world.member_other)
    assert client.post(url, {**DATA, "expected_version": seen}).status_code == 404
    client.force_login(world.member_same)
    assert client.post(url, {**DATA, "expected_version": seen}).status_code == 403
    assert saved(topic) == before

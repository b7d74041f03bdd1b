"""{% roll_row row %} (chibo/meetings/templatetags/roll_row.py): a roll-call line as the live screen,
the roll-call answer and the approved record show it — what the secretary taps, what the screen reader
says, and every value escaped."""

from __future__ import annotations

import re

import pytest
from django.template import engines
from django.test import RequestFactory

from chibo.meetings import selectors, views
from chibo.meetings.models import Attendance, AttendanceStatus
from chibo.meetings.tests.test_views import approved, live, running

pytestmark = pytest.mark.django_db
TAG = engines["django"].from_string("{% load roll_row %}{% roll_row row %}")


def line(m, member, *, editable=True, row_has=None, **attendance):  # type: ignore[no-untyped-def]
    """MEMBER's line of M's roll: the row as the live screen builds it, ROW_HAS and ATTENDANCE
    (the roll row's fields) changed in it."""
    screen = selectors.roll_call_screen(m)
    verdict = selectors.judge(screen)
    _, rows = views._roll_rows(screen, verdict.book, None, runs=verdict.facts.excused_runs)
    row = next(r for r in rows if r["a"].member_id == member.pk)
    row.update(row_has or {})
    for key, value in attendance.items():
        setattr(row["a"], key, value)
    request = RequestFactory().get("/")
    return TAG.render({"row": row, "editable": editable, "m": screen, "book": verdict.book}, request)


def pressed(html: str) -> dict[str, str]:
    return dict(re.findall(r'value="(\w+)" (?:data-needs-reason )?aria-pressed="(true|false)"', html))


def test_an_editable_line_has_the_taps_the_reason_and_the_dues_form(world):
    m = running(world)
    html = line(m, world.m_same)
    assert f'<li id="att-{world.m_same.pk}" class="roll-row st-present">' in html
    assert f"<b>{world.m_same.full_name}</b>" in html and '<span class="mark">Có mặt</span>' in html
    assert pressed(html) == {"present": "true", "absent_excused": "false", "absent_unexcused": "false"}
    url = live(m, f"diem-danh/{world.m_same.pk}/")
    assert f'action="{url}"' in html and f'hx-post="{url}"' in html and f'hx-target="#att-{world.m_same.pk}"' in html
    assert f'name="expected_version" value="{m.__class__.objects.get(pk=m.pk).version}"' in html
    assert html.count('name="csrfmiddlewaretoken" value="') == 2  # both forms post without htmx too
    assert 'name="reason"' in html and f'aria-label="Lý do vắng của {world.m_same.full_name}"' in html
    assert f'action="{live(m, f"dang-phi/{world.m_same.pk}/")}"' in html and 'name="collected"' in html


def test_exempt_and_away_members_get_their_own_tap_and_no_reason(world):
    m = running(world)
    exempt = line(m, world.m_same, is_exempt=True, status="exempt")
    assert pressed(exempt) == {"present": "false", "exempt": "true"} and 'name="reason"' not in exempt
    assert '<span class="tag">Miễn sinh hoạt</span>' not in exempt  # the tag only when the mark says otherwise
    assert '<span class="mark">Miễn sinh hoạt</span>' in exempt
    away = line(m, world.m_same, is_away=True, status="present")
    assert pressed(away) == {"present": "true", "away": "false"}
    assert '<span class="tag">Sinh hoạt tạm thời nơi khác</span>' in away


def test_everything_the_user_typed_is_escaped(world):
    m = running(world)
    nasty = '<script>alert("x")</script> & \'y\''
    failed = views.Failed(key=f"att-{world.m_same.pk}", form=None, errors=[nasty])
    html = line(m, world.m_same, reason=nasty, status=AttendanceStatus.ABSENT_EXCUSED,
                row_has={"failed": failed, "reason": nasty})
    assert "<script>" not in html
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;y&#x27;"
    assert f'<span class="mark">Vắng có lý do: {escaped}</span>' in html
    assert f'<p class="error">{escaped}</p>' in html and "has-error" in html
    assert f'name="reason" value="{escaped}"' in html  # what was typed, given back to correct


def test_an_unmarked_line_and_a_run_of_excused_absences(world):
    m = running(world)
    html = line(m, world.m_same, status="", row_has={"run": 4, "run_warn": True})
    assert "st-none" in html and '<span class="mark">Chưa điểm danh</span>' in html
    assert "Vắng có lý do 4 lần liên tiếp trong năm, quá " in html and 'class="run warn-text"' in html


def test_a_read_only_line_shows_the_dues_paid_and_no_form(world):
    m = approved(world)
    Attendance.objects.filter(meeting=m, member=world.m_same).update(dues_collected=True, dues_amount=125000)
    html = line(m, world.m_same, editable=False)
    assert "<form" not in html and "csrfmiddlewaretoken" not in html
    assert '<span class="muted">Đảng phí: 125.000 đ</span>' in html


def test_the_live_screen_and_the_answer_print_the_same_line(client, world):
    m = running(world)
    client.force_login(world.secretary)
    screen = client.get(live(m, "")).content.decode()
    answer = client.post(
        live(m, f"diem-danh/{world.m_same.pk}/"), {"status": "present"}, HTTP_HX_REQUEST="true"
    ).content.decode()

    def the_line(html: str) -> str:
        found = re.search(rf'<li id="att-{world.m_same.pk}".*?</li>', html, re.S)
        assert found
        return re.sub(r'(csrfmiddlewaretoken" value=")[^"]+|(expected_version" value=")\d+', r"\1\2", found.group(0))

    assert the_line(screen) == the_line(answer)
    # every line of the screen posts to its own member's URLs (reversed once, the id put in)
    ids = re.findall(r'<li id="att-(\d+)"', screen)
    assert len(ids) == Attendance.objects.filter(meeting=m).count() >= 4
    for mid in ids:
        assert f'<form id="att-form-{mid}" class="tap-form" method="post" action="{live(m, f"diem-danh/{mid}/")}"' in screen
        assert f'<form id="dues-form-{mid}" class="dues-form" method="post" action="{live(m, f"dang-phi/{mid}/")}"' in screen

"""{% member_table_rows %} escapes every value exactly as Django's escape filter does."""

from __future__ import annotations

from django.template import Context, Template
from django.utils.html import escape as django_escape

from chibo.members.templatetags.member_rows import escape, member_table_rows

HOSTILE = "<script>alert('x')</script> & \"Lê\" Thị Hoà"


def test_every_value_is_escaped_as_the_template_engine_escapes_it():
    for text in (HOSTILE, "Nguyễn Văn A", "", 42, "a&amp;b"):
        assert escape(text) == str(django_escape(text))
    row = {
        "n": 7, "url": "/dang-vien/5/?a=1&b=\"2\"", "name": HOSTILE, "flags": ["<b>Miễn</b>"], "birth": "01/02/1980",
        "place": "Chi bộ <thôn 1> / Tổ 'A'", "probation": True, "position": "Bí thư & \"Phó\"",
    }
    html = str(member_table_rows([row]))
    assert "<script>" not in html and "<b>Miễn</b>" not in html and "<thôn 1>" not in html
    for value in (row["url"], row["name"], row["place"], row["position"], row["flags"][0]):
        assert str(django_escape(value)) in html
    # the same cells the engine would print with autoescape
    engine = Template("{{ v }}")
    assert str(django_escape(HOSTILE)) == engine.render(Context({"v": HOSTILE}))
    assert '<span class="tag probation">Dự bị</span>' in html and "<td>7</td>" in html

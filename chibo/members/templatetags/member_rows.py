"""{% member_table_rows rows %}: the member list's table rows (members/_rows.html).

A page shows 100 members; printing their dozen values through the template engine (a lookup,
an escape and a filter each) was most of the page's time. The rows come from
`members.selectors.member_rows` as plain strings; here they are escaped and joined once — with
the standard library's html.escape, which is what django.utils.html.escape calls, without its lazy-
text wrapper and SafeString per value (those were ~70% of this tag's time: 500 values a page).
"""

from __future__ import annotations

from html import escape as _escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def escape(value: Any) -> str:
    """django.utils.html.escape's text (& < > " ' encoded), as a plain str."""
    return _escape(str(value))


@register.simple_tag
def member_table_rows(rows: list[dict[str, Any]]) -> SafeString:
    out = []
    for r in rows:
        flags = "".join(f' <span class="tag">{escape(f)}</span>' for f in r["flags"])
        standing = '<span class="tag probation">Dự bị</span>' if r["probation"] else "Chính thức"
        out.append(
            f"<tr>\n    <td>{r['n']}</td>\n"
            f'    <td><a href="{escape(r["url"])}">{escape(r["name"])}</a>{flags}</td>\n'
            f'    <td class="hide-sm">{escape(r["birth"])}</td>\n'
            f"    <td>{escape(r['place'])}</td>\n"
            f"    <td>{standing}</td>\n"
            f'    <td class="hide-sm">{escape(r["position"])}</td>\n  </tr>'
        )
    return mark_safe("\n  ".join(out))  # noqa: S308 (every value escaped above)

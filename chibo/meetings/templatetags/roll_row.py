"""{% roll_row row %}: one member's line of the roll call (the live screen's list, the approved
record's, and the htmx answer to a mark).

The live screen prints 20–30 of these and every roll-call tap answers with one; through the template
engine a line cost ~0.4 ms (two URL reversals, a dozen conditions, ~15 escaped values), here
~0.06 ms. ROW comes from meetings.views._roll_rows ({a, mid, run, run_warn, failed, reason}); the
context gives `editable`, `m` (its pk and version) and `book`. Every value is escaped (html.escape,
as django.utils.html.escape encodes: & < > " '); the tests check the markup the screen relies on
(chibo/meetings/tests/test_roll_row_tag.py).
"""

from __future__ import annotations

from html import escape as _escape
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def e(value: Any) -> str:
    return _escape(str(value))


def _pressed(a: Any, status: str) -> str:
    return "true" if a.status == status else "false"


_PLACEHOLDER = 987654321  # a member id standing in for every member's (the last part of both URLs)


def _urls(context: template.Context, meeting_pk: Any, member_id: Any) -> tuple[str, str]:
    """The roll-call and dues URLs of MEMBER_ID: reversed once per render and meeting (the live
    screen prints 20–30 lines), then the member's id put in the placeholder's place."""
    key = ("roll_row.urls", meeting_pk)
    found = context.render_context.get(key)
    if found is None:
        found = context.render_context[key] = tuple(
            tuple(reverse(name, args=[meeting_pk, _PLACEHOLDER]).rsplit(str(_PLACEHOLDER), 1))
            for name in ("meetings:attendance", "meetings:dues")
        )
    (att_head, att_tail), (dues_head, dues_tail) = found
    return f"{att_head}{member_id}{att_tail}", f"{dues_head}{member_id}{dues_tail}"


@register.simple_tag(takes_context=True)
def roll_row(context: template.Context, row: dict[str, Any]) -> SafeString:
    a, mid = row["a"], e(row["mid"])
    name = e(a.member.full_name)
    tags = []
    if not a.is_full:
        tags.append('<span class="tag probation">Dự bị</span>')
    if a.is_exempt and a.status != "exempt":
        tags.append('<span class="tag">Miễn sinh hoạt</span>')
    if a.is_away and a.status != "away":
        tags.append('<span class="tag">Sinh hoạt tạm thời nơi khác</span>')
    if a.is_incoming:
        tags.append('<span class="tag">Sinh hoạt tạm thời (đến)</span>')
    if a.is_suspended:
        tags.append('<span class="tag">Đình chỉ sinh hoạt</span>')
    if a.special_duty:
        tags.append('<span class="tag">LLVT nhiệm vụ đặc biệt</span>')
    mark = e(a.get_status_display() or "Chưa điểm danh") + (f": {e(a.reason)}" if a.reason else "")
    run = ""
    if row["run"]:
        over = ""
        if row["run_warn"]:
            over = f", quá {e(context['book'].attendance.max_consecutive_excused)} lần"
        run = (
            f'<span class="run{" warn-text" if row["run_warn"] else ""}">Vắng có lý do {e(row["run"])} '
            f"lần liên tiếp trong năm{over}</span>"
        )
    out = [
        f'<li id="att-{mid}" class="roll-row st-{e(a.status or "none")}{" has-error" if row["failed"] else ""}">',
        '  <div class="roll-name">',
        f"    <b>{name}</b>",
        *(f"    {t}" for t in tags),
        f'    <span class="mark">{mark}</span>',
        *([f"    {run}"] if run else []),
        "  </div>",
    ]
    if context.get("editable"):
        m = context["m"]
        att_url, dues_url = (e(u) for u in _urls(context, m.pk, a.member_id))
        token = context.get("csrf_token")  # as {% csrf_token %} renders it
        csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{e(token)}">' if token and token != "NOTPROVIDED" else ""
        if a.is_exempt:
            choices = [("other", "exempt", "Miễn sinh hoạt", "")]
        elif a.is_away:
            choices = [("other", "away", "Sinh hoạt nơi khác", "")]
        else:
            choices = [
                ("excused", "absent_excused", "Vắng có lý do", " data-needs-reason"),
                ("unexcused", "absent_unexcused", "Vắng không lý do", ""),
            ]
        taps = [f'      <button class="tap present" name="status" value="present" aria-pressed="{_pressed(a, "present")}">Có mặt</button>']
        taps += [
            f'      <button class="tap {cls}" name="status" value="{value}"{extra} aria-pressed="{_pressed(a, value)}">{label}</button>'
            for cls, value, label, extra in choices
        ]
        out += [
            f'  <form id="att-form-{mid}" class="tap-form" method="post" action="{att_url}"',
            f'        hx-post="{att_url}" hx-target="#att-{mid}" data-label="Điểm danh {name}">',
            f'    {csrf}<input type="hidden" name="expected_version" value="{e(m.version)}">',
            '    <button class="sr-only" name="status" value="absent_excused" tabindex="-1" aria-hidden="true">Vắng có lý do</button>',
            '    <div class="taps">',
            *taps,
            "    </div>",
        ]
        if not a.is_exempt and not a.is_away:
            out.append(
                f'    <input class="reason" type="text" name="reason" value="{e(row["reason"])}" maxlength="255" '
                f'placeholder="Lý do vắng" aria-label="Lý do vắng của {name}">'
            )
        failed = row["failed"]
        out += [f'    <p class="error">{e(err)}</p>' for err in (failed.errors if failed else [])]
        amount = e(a.dues_amount) if a.dues_amount else ""
        out += [
            "  </form>",
            f'  <form id="dues-form-{mid}" class="dues-form" method="post" action="{dues_url}"',
            f'        hx-post="{dues_url}" hx-target="#att-{mid}" hx-trigger="change, submit" data-label="Đảng phí {name}">',
            f"    {csrf}",
            f'    <label class="check"><input type="checkbox" name="collected" value="1"{" checked" if a.dues_collected else ""}> Đã nộp đảng phí</label>',
            f'    <input class="amount" type="text" name="amount" inputmode="numeric" value="{amount}" placeholder="Số tiền" '
            f'aria-label="Số tiền đảng phí của {name}"> đ',
            '    <button class="btn small secondary">Lưu</button>',
            "  </form>",
        ]
    elif a.dues_collected:
        out.append(f'  <span class="muted">Đảng phí: {e(intcomma(a.dues_amount))} đ</span>')
    out.append("</li>")
    return mark_safe("\n".join(out))  # noqa: S308 (every value escaped above)

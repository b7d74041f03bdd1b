"""The form renderer (settings.FORM_RENDERER): Django's, with its commonest widgets drawn in Python.

Django draws every widget through templates: an <input> is two template renders (input.html,
attrs.html), a <select> three per option (select_option.html, attrs.html) plus its own. The
secretary's live screen — re-rendered as the answer to every meeting action but a roll-call mark —
holds ~25 inputs and ~80 options: ~10 ms of its ~45 ms went there (scripts/prof_page.py live on the
generated province, 02/12/2026). Here the same HTML is written by Python for Django's own input,
textarea and select templates, with the template engine's rules: autoescaping as `{{ }}` does
(conditional_escape: safe strings as they are), `stringformat:'s'`, an attribute True written bare
and False left out. Anything else — another template, a value the template engine would localize
(a number, a date: `{{ }}` formats those by the active language) — goes to Django's templates as
before. chibo/core/tests/test_form_renderer.py draws every field of every form of the project, and
hostile values, both ways and compares the HTML.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe

INPUT = "django/forms/widgets/input.html"
# Django's widgets whose template is {% include "django/forms/widgets/input.html" %} and nothing else.
INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "search", "tel", "color", "checkbox")
) | {INPUT}
SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
TEXTAREA = "django/forms/widgets/textarea.html"


class _Localized(Exception):
    """A value the template engine would format by the language (not a string): use the templates."""


def _text(value: Any) -> str:
    """`{{ value }}` as the engine prints it (render_value_in_context): a string as it is, True/False
    and other objects through str(); escaped unless safe. Numbers and dates would be localized."""
    if isinstance(value, str):
        return str(conditional_escape(value))
    if isinstance(value, (int, float, Decimal, dt.date, dt.time)) and not isinstance(value, bool):
        raise _Localized
    return str(conditional_escape(str(value)))


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: "%s" % value, escaped unless VALUE is safe (is_safe filter)."""
    text = "%s" % (value,)  # noqa: UP031 (as the filter does)
    return text if isinstance(value, SafeData) else str(conditional_escape(text))


def _attrs(attrs: dict[str, Any]) -> str:
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {_text(name)}")
        else:
            out.append(f' {_text(name)}="{_formatted(value)}"')
    return "".join(out)


def _input(w: dict[str, Any]) -> str:
    value = f' value="{_formatted(w["value"])}"' if w["value"] is not None else ""
    return f'<input type="{_text(w["type"])}" name="{_text(w["name"])}"{value}{_attrs(w["attrs"])}>'


def _textarea(w: dict[str, Any]) -> str:
    body = _text(w["value"]) if w["value"] else ""
    return f'<textarea name="{_text(w["name"])}"{_attrs(w["attrs"])}>\n{body}</textarea>'


def _select(w: dict[str, Any]) -> str:
    out = [f'<select name="{_text(w["name"])}"{_attrs(w["attrs"])}>']
    for group_name, group_choices, _index in w["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION:
                raise _Localized
            out.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>{_text(option["label"])}</option>\n'
            )  # (select_option.html ends with a newline, which its include keeps)
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


class FastWidgets(DjangoTemplates):
    """DjangoTemplates, but Django's input, textarea and select templates are drawn in Python."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> SafeString | str:
        draw = _input if template_name in INPUTS else _DRAWN.get(template_name)
        if draw is not None and "widget" in context:
            try:
                return mark_safe(draw(context["widget"]))  # noqa: S308 (every value escaped above)
            except _Localized:
                pass
        return super().render(template_name, context, request)


_DRAWN = {SELECT: _select, TEXTAREA: _textarea}

"""The form renderer draws Django's input, textarea and select widgets in Python (chibo.core.
form_renderer): the HTML must be what Django's templates draw, character for character — for every
field of every form of the project, hostile values and labels, and the pages that hold most forms."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from typing import Any

import django
import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

import chibo
from chibo.core import form_renderer
from chibo.core.form_renderer import FastWidgets

FAST, DJANGO = FastWidgets(), DjangoTemplates()
HOSTILE = "<script>alert('x')</script> & \"Lan\" Đỗ"
VALUES: list[Any] = [None, "", "Nguyễn Văn An", HOSTILE, mark_safe("<b>đậm</b>"), 0, 7, 3.5, dt.date(2026, 1, 2), True, False]


def both(widget: forms.Widget, name: str, value: Any, attrs: dict[str, Any] | None = None) -> tuple[str, str]:
    return (
        widget.render(name, value, attrs=attrs, renderer=FAST),
        widget.render(name, value, attrs=attrs, renderer=DJANGO),
    )


def project_forms() -> list[type[forms.Form]]:
    found = []
    for module in pkgutil.walk_packages(chibo.__path__, "chibo."):
        if module.name.endswith(".forms"):
            for _, cls in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__ == module.name:
                    found.append(cls)
    return found


def test_the_templates_drawn_in_python_are_djangos_own_and_unchanged():
    """A Django upgrade that changes these templates (or an app that overrides one) fails here."""
    root = Path(django.__file__).parent / "forms" / "templates"
    include = '{% include "django/forms/widgets/input.html" %}'
    for name in form_renderer.INPUTS - {form_renderer.INPUT}:
        template = DJANGO.get_template(name)
        assert Path(template.origin.name) == root / name
        assert template.template.source.strip() == include, name
    sources = {
        form_renderer.INPUT: '<input type="{{ widget.type }}" name="{{ widget.name }}"{% if widget.value != None %} value="{{ widget.value|stringformat:\'s\' }}"{% endif %}{% include "django/forms/widgets/attrs.html" %}>',
        form_renderer.OPTION: '<option value="{{ widget.value|stringformat:\'s\' }}"{% include "django/forms/widgets/attrs.html" %}>{{ widget.label }}</option>',
        form_renderer.TEXTAREA: '<textarea name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>\n{% if widget.value %}{{ widget.value }}{% endif %}</textarea>',
        "django/forms/widgets/attrs.html": '{% for name, value in widget.attrs.items %}{% if value is not False %} {{ name }}{% if value is not True %}="{{ value|stringformat:\'s\' }}"{% endif %}{% endif %}{% endfor %}',
        form_renderer.SELECT: '<select name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>{% for group_name, group_choices, group_index in widget.optgroups %}{% if group_name %}\n  <optgroup label="{{ group_name }}">{% endif %}{% for option in group_choices %}\n  {% include option.template_name with widget=option %}{% endfor %}{% if group_name %}\n  </optgroup>{% endif %}{% endfor %}\n</select>',
    }
    for name, source in sources.items():
        template = DJANGO.get_template(name)
        assert Path(template.origin.name) == root / name
        assert template.template.source.strip() == source, name


def test_every_field_of_every_form_is_drawn_as_djangos_templates_draw_it():
    classes = project_forms()
    assert len(classes) > 40  # (the walk found the project's forms)
    drawn = 0
    for cls in classes:
        for name, field in cls.base_fields.items():
            choices = [c[0] for c in getattr(field, "choices", [])][:3] if not isinstance(field, forms.ModelChoiceField) else []
            for value in [*VALUES, *choices]:
                for attrs in (None, {"id": f"id_{name}", "required": True, "data-x": HOSTILE, "disabled": False}):
                    try:
                        slow = field.widget.render(name, value, attrs=attrs, renderer=DJANGO)
                    except (TypeError, ValueError, AttributeError):
                        continue  # a value this widget cannot take (Django's own way)
                    fast = field.widget.render(name, value, attrs=attrs, renderer=FAST)
                    assert fast == slow, (cls.__name__, name, value, attrs)
                    drawn += 1
    assert drawn > 2000


@pytest.mark.parametrize(
    "choices",
    [
        [("", "---------"), (1, "Nguyễn Văn An"), ("2", HOSTILE), ("3", mark_safe("<i>an toàn</i>"))],
        [("Tổ 1 <a>", [(1, "An"), (2, "Bình")]), ("Tổ 2", [(3, "Chi")]), (4, "Dũng")],  # optgroups
        [(1, gettext_lazy("Yes")), (2, 2024), (3, dt.date(2026, 1, 2)), (4, 3.5)],  # lazy; localized: Django's way
    ],
)
@pytest.mark.parametrize("widget_class", [forms.Select, forms.SelectMultiple, forms.NullBooleanSelect])
def test_selects_with_groups_hostile_lazy_and_localized_labels(choices, widget_class):
    widget = widget_class(attrs={"class": "wide", "hx-get": "/x?a=1&b=2"})
    if widget_class is not forms.NullBooleanSelect:
        widget.choices = choices
    for value in (None, 1, "2", [1, 3], "unknown", HOSTILE):
        if widget_class is forms.NullBooleanSelect and isinstance(value, list):
            continue  # (unhashable: NullBooleanSelect.format_value raises, whichever the renderer)
        fast, slow = both(widget, "who", value, {"id": "id_who", "required": True})
        assert fast == slow, (choices, value)


@pytest.mark.parametrize(
    "widget",
    [
        forms.TextInput(), forms.NumberInput(attrs={"min": 0, "step": 0.5}), forms.EmailInput(), forms.URLInput(),
        forms.PasswordInput(render_value=True), forms.HiddenInput(), forms.DateInput(format="%d/%m/%Y"),
        forms.DateTimeInput(), forms.TimeInput(format="%H:%M"), forms.SearchInput(), forms.TelInput(),
        forms.ColorInput(), forms.CheckboxInput(), forms.Textarea(attrs={"rows": 3}),
        forms.TextInput(attrs={"placeholder": gettext_lazy("Name"), "maxlength": 255, "autofocus": True}),
    ],
)
def test_inputs_and_textareas(widget):
    for value in [*VALUES, dt.datetime(2026, 1, 2, 19, 30), dt.time(7, 5), "dòng 1\ndòng 2", " cách "]:
        fast, slow = both(widget, "field", value, {"id": "id_field", "aria-label": HOSTILE})
        assert fast == slow, (widget, value)


def test_other_templates_go_to_django(monkeypatch):
    drawn: list[str] = []
    monkeypatch.setattr(DjangoTemplates, "render", lambda self, name, context, request=None: drawn.append(name) or "")
    forms.RadioSelect(choices=[(1, "a")]).render("r", 1, renderer=FAST)
    forms.ClearableFileInput().render("f", None, renderer=FAST)
    assert drawn == ["django/forms/widgets/radio.html", "django/forms/widgets/clearable_file_input.html"]


def test_the_project_uses_it(settings):
    from django.forms.renderers import get_default_renderer

    assert settings.FORM_RENDERER == "chibo.core.form_renderer.FastWidgets"
    assert isinstance(get_default_renderer(), FastWidgets)


CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+|("X-CSRFToken": ")[^"]+')


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["live", "members_new", "meeting_new"])
def test_the_pages_with_most_forms_are_the_same_both_ways(client, world, settings, page):
    from chibo.meetings.tests.test_views import running

    client.force_login(world.secretary)
    url = {
        "live": lambda: f"/sinh-hoat/{running(world).pk}/dieu-hanh/",
        "members_new": lambda: "/dang-vien/them/",
        "meeting_new": lambda: "/sinh-hoat/them/",
    }[page]()
    pages = []
    for renderer in ("chibo.core.form_renderer.FastWidgets", "django.forms.renderers.DjangoTemplates"):
        settings.FORM_RENDERER = renderer
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(CSRF.sub(r"\1\2", response.content.decode()))
    assert pages[0] == pages[1]
    assert pages[0].count("<select") + pages[0].count("<input") >= 3

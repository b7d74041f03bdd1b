"""Form helpers shared by apps: dd/mm/yyyy date fields and service-error mapping."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from chibo.core.versions import Stale


class VNDateField(forms.DateField):
    widget = forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("input_formats", ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"])
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "error_messages", {"invalid": "Ngày phải theo dạng dd/mm/yyyy, ví dụ 02/09/1990."}
        )
        super().__init__(*args, **kwargs)


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the matching form fields."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


class VersionField(forms.CharField):
    """The version of the record the form was drawn from (chibo.core.versions), sent back on save."""

    widget = forms.HiddenInput

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)


def show_conflict(form: forms.Form, exc: Stale, field: str = "expected_version") -> None:
    """A stale save: keep what the user typed, say what the record holds now (a form error), and
    carry the current version, so saving again after reading the message overwrites knowingly."""
    for message in exc.messages:
        form.add_error(None, message)
    form.data = form.data.copy()
    form.data[form.add_prefix(field)] = exc.current

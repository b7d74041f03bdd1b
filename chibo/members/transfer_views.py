"""Import and export of members (placeholder until the import module lands)."""

from django.http import HttpRequest, HttpResponse


def import_upload(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError


def export(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError

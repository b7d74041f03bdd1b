"""Two-factor enforcement for roles that write or oversee."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from chibo.accounts.permissions import ROLES_REQUIRING_2FA

OPEN_PREFIXES = ("/static/", "/api/", "/tai-khoan/", "/favicon")


def requires_2fa(user) -> bool:  # type: ignore[no-untyped-def]
    if not settings.CHIBO_2FA_REQUIRED or not user.is_authenticated:
        return False
    if user.two_factor_exempt:
        return False
    if user.is_superuser:
        return True
    return user.role_assignments.filter(role__in=list(ROLES_REQUIRING_2FA)).exists()


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
            and not user.is_verified()
            and requires_2fa(user)
        ):
            return redirect(f"{reverse('accounts:two_factor')}?next={request.path}")
        return self.get_response(request)

"""Reads from a PostgreSQL read replica, writes to the primary, and read-your-writes.

Enabled by DATABASE_REPLICA_URL (settings add the "replica" alias, this router and
`ReplicaPinMiddleware`). Reads go to the replica unless the current request is "pinned" to
the primary: the request is not a safe method (POST…), it already wrote, or the user wrote
within the last CHIBO_REPLICA_PIN_SECONDS (a cookie set after a write), so a user never
reads a page older than their own change while the replica catches up.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

PRIMARY, REPLICA = "default", "replica"
COOKIE = "chibo_primary"
_pinned: contextvars.ContextVar[bool] = contextvars.ContextVar("chibo_pinned", default=False)
_wrote: contextvars.ContextVar[bool] = contextvars.ContextVar("chibo_wrote", default=False)


def pin() -> None:
    _pinned.set(True)


def is_pinned() -> bool:
    return _pinned.get() or _wrote.get()


class PrimaryReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        if is_pinned() or REPLICA not in settings.DATABASES:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model: Any, **hints: Any) -> str:
        _wrote.set(True)
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # same data on both

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY


class ReplicaPinMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        seconds = settings.CHIBO_REPLICA_PIN_SECONDS
        now = time.time()
        try:
            until = float(request.COOKIES.get(COOKIE, "0"))
        except ValueError:
            until = 0.0
        pinned_token = _pinned.set(request.method not in ("GET", "HEAD", "OPTIONS") or until > now)
        wrote_token = _wrote.set(False)
        try:
            response = self.get_response(request)
            if _wrote.get() or request.method not in ("GET", "HEAD", "OPTIONS"):
                response.set_cookie(COOKIE, f"{now + seconds:.0f}", max_age=seconds, httponly=True,
                                    samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
            return response
        finally:
            _pinned.reset(pinned_token)
            _wrote.reset(wrote_token)

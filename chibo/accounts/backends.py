"""The authentication backend: Django's ModelBackend, whose get_user — the user of every request
with a session — also reads the user's roles, in the same query, so the access helpers need no
query of their own for them. Read on every request as before: a role removed, or an account
deactivated, takes effect on the user's next request.

The query is written out (one row per role assignment, the user's columns repeated) rather than
built by the ORM: compiling a queryset with the roles as an aggregated subquery cost more (~1 ms on
every request) than the query it saves (measured in docs/bench.md, "buổi thứ chín")."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router

from chibo.accounts import access

_PATH, _ROLE = "chibo_grant_path", "chibo_grant_role"


@cache
def _sql(db: str) -> str:
    from chibo.accounts.models import RoleAssignment
    from chibo.organisations.models import Organisation

    qn = connections[db].ops.quote_name
    user, grant, org = get_user_model()._meta, RoleAssignment._meta, Organisation._meta

    def col(meta: Any, name: str | None = None) -> str:
        field = meta.get_field(name) if name else meta.pk
        return qn(field.column)

    columns = ", ".join(f"u.{col(user, f.name)}" for f in user.concrete_fields)
    return (
        f"SELECT {columns}, o.{col(org, 'path')} AS {_PATH}, r.{col(grant, 'role')} AS {_ROLE} "
        f"FROM {qn(user.db_table)} u "
        f"LEFT JOIN {qn(grant.db_table)} r ON r.{col(grant, 'user')} = u.{col(user)} "
        f"LEFT JOIN {qn(org.db_table)} o ON o.{col(org, 'id')} = r.{col(grant, 'organisation')} "
        f"WHERE u.{col(user)} = %s"
    )


def user_with_scope(user_id: Any) -> Any:
    """The user USER_ID (None if there is none) with their scope (access.get_scope) already known."""
    model = get_user_model()
    try:
        pk = model._meta.pk.to_python(user_id)
    except (ValidationError, TypeError, ValueError):  # a session holding something else than an id
        return None
    db = router.db_for_read(model)
    rows = list(model._default_manager.db_manager(db).raw(_sql(db), [pk]))
    if not rows:
        return None
    user = rows[0]
    access.remember_grants(user, [(getattr(r, _PATH), getattr(r, _ROLE)) for r in rows if getattr(r, _ROLE)])
    return user


class ScopedModelBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        user = user_with_scope(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

"""Strict parsing of environment settings.

Every value chibo reads from the environment goes through these helpers, so a
malformed value stops start-up with a clear message instead of running with a
silent default.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on", "có"}
FALSE = {"0", "false", "no", "off", "không", ""}


def raw(name: str) -> str | None:
    """The value of NAME, or of the file named by NAME_FILE (for secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE: không đọc được tệp {file_name!r} ({exc})."
            ) from exc
    return os.environ.get(name)


def env_bool(name: str, default: bool) -> bool:
    value = raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} không hợp lệ: dùng 1/0, true/false, yes/no hoặc on/off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} không phải là số nguyên.") from exc
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} phải lớn hơn hoặc bằng {minimum}.")
    return number


def env_str(name: str, default: str) -> str:
    value = raw(name)
    return default if value is None else value.strip()


def env_list(name: str, default: list[str]) -> list[str]:
    value = raw(name)
    if value is None:
        return default
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"{name}={value!r}: danh sách có phần tử rỗng.")
    return items


def persistent_secret(name: str, path: Path, *, nbytes: int = 50) -> str:
    """NAME from the environment, else a random secret kept in PATH (created once)."""
    value = raw(name)
    if value:
        return value
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    path.write_text(value, encoding="utf-8")
    path.chmod(0o600)
    return value


def database_from_url(url: str, *, base_dir: Path) -> dict[str, object]:
    """Turn DATABASE_URL into a Django DATABASES entry, refusing anything unclear."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # sqlite:///relative/path.sqlite3 or sqlite:////absolute/path.sqlite3
        path = unquote(parts.path)
        if parts.netloc or not path or path == "/":
            raise ImproperlyConfigured(
                f"DATABASE_URL={url!r}: dạng SQLite phải là sqlite:///đường/dẫn.sqlite3."
            )
        name = path[1:] if not path.startswith("//") else path[1:]
        db_path = Path(name)
        if not db_path.is_absolute():
            db_path = base_dir / db_path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(db_path),
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    if scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name or "/" in name:
            raise ImproperlyConfigured(
                f"DATABASE_URL={url!r}: thiếu hoặc sai tên cơ sở dữ liệu PostgreSQL."
            )
        try:
            port = parts.port
        except ValueError as exc:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r}: cổng không hợp lệ.") from exc
        options: dict[str, object] = {}
        for key, values in parse_qs(parts.query, strict_parsing=False).items():
            if key == "conn_max_age":
                continue
            options[key] = values[-1]
        if "prepare_threshold" in options:  # psycopg wants a number (or none: never prepare)
            raw = str(options["prepare_threshold"]).lower()
            try:
                options["prepare_threshold"] = None if raw == "none" else int(raw)
            except ValueError as exc:
                raise ImproperlyConfigured(f"DATABASE_URL={url!r}: prepare_threshold phải là số hoặc none.") from exc
        if "server_side_binding" in options:  # Django checks `is True`
            options["server_side_binding"] = str(options["server_side_binding"]).lower() in {"1", "true", "yes", "on"}
        conn_max_age = 0
        if "conn_max_age" in parse_qs(parts.query):
            try:
                conn_max_age = int(parse_qs(parts.query)["conn_max_age"][-1])
            except ValueError as exc:
                raise ImproperlyConfigured(
                    f"DATABASE_URL={url!r}: conn_max_age phải là số giây."
                ) from exc
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": conn_max_age,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL={url!r}: chỉ hỗ trợ sqlite:/// hoặc postgres://."
    )


def redis_url(name: str) -> str:
    """A Redis URL (redis://, rediss:// or unix://), or "" when NAME is unset."""
    value = env_str(name, "")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"{name}={value!r}: dùng redis://máy:cổng/số, rediss://… hoặc unix:///đường/dẫn.sock."
        )
    if parts.scheme != "unix" and not parts.hostname:
        raise ImproperlyConfigured(f"{name}={value!r}: thiếu tên máy Redis.")
    try:
        _ = parts.port
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r}: cổng không hợp lệ.") from exc
    db = parts.path.lstrip("/")
    if parts.scheme != "unix" and db and not db.isdigit():
        raise ImproperlyConfigured(f"{name}={value!r}: số cơ sở dữ liệu Redis phải là số nguyên.")
    return value

"""Settings from the environment: safe defaults, malformed values refused clearly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import database_from_url, env_bool, env_int

BASE = Path(__file__).resolve().parents[3]


def test_booleans_accept_the_usual_spellings(monkeypatch):
    for value, expected in [("1", True), ("true", True), ("on", True), ("0", False), ("no", False)]:
        monkeypatch.setenv("X_FLAG", value)
        assert env_bool("X_FLAG", not expected) is expected


def test_a_malformed_boolean_is_refused(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG='maybe' không hợp lệ"):
        env_bool("X_FLAG", False)


def test_a_malformed_integer_is_refused(monkeypatch):
    monkeypatch.setenv("X_NUM", "mười")
    with pytest.raises(ImproperlyConfigured, match="không phải là số nguyên"):
        env_int("X_NUM", 1)


def test_secrets_can_come_from_files(monkeypatch, tmp_path):
    secret = tmp_path / "s"
    secret.write_text("yes\n")
    monkeypatch.setenv("X_FLAG_FILE", str(secret))
    assert env_bool("X_FLAG", False) is True


def test_postgres_urls_are_parsed():
    db = database_from_url("postgres://u:p%40ss@db.local:5433/chibo?sslmode=require", base_dir=BASE)
    assert (db["ENGINE"], db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "django.db.backends.postgresql", "chibo", "u", "p@ss", "db.local", "5433",
    )
    assert db["OPTIONS"] == {"sslmode": "require"}


def test_postgres_url_options_psycopg_wants_typed_are_typed():
    db = database_from_url("postgres://h/c?prepare_threshold=5&server_side_binding=true", base_dir=BASE)
    assert db["OPTIONS"] == {"prepare_threshold": 5, "server_side_binding": True}
    assert database_from_url("postgres://h/c?prepare_threshold=None", base_dir=BASE)["OPTIONS"] == {"prepare_threshold": None}
    assert database_from_url("postgres://h/c?server_side_binding=0", base_dir=BASE)["OPTIONS"] == {"server_side_binding": False}
    with pytest.raises(ImproperlyConfigured, match="prepare_threshold"):
        database_from_url("postgres://h/c?prepare_threshold=soon", base_dir=BASE)


def test_sqlite_urls_are_parsed():
    assert database_from_url("sqlite:///var/x.sqlite3", base_dir=BASE)["NAME"] == str(BASE / "var/x.sqlite3")
    assert database_from_url("sqlite:////tmp/x.sqlite3", base_dir=BASE)["NAME"] == "/tmp/x.sqlite3"


@pytest.mark.parametrize(
    "url", ["mysql://x/y", "postgres://host:99999/db", "postgres://host/", "sqlite://", "nonsense"]
)
def test_malformed_database_urls_are_refused(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_from_url(url, base_dir=BASE)


def test_the_app_refuses_to_start_with_a_malformed_setting(tmp_path):
    env = {**os.environ, "CHIBO_DEBUG": "perhaps", "CHIBO_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "CHIBO_DEBUG='perhaps' không hợp lệ" in result.stderr

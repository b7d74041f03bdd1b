"""Settings for many machines: Redis cache/sessions, S3 storage, RQ tasks, read replica, CSP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import redis_url

BASE = Path(__file__).resolve().parents[3]
PROBE = (
    "import json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'\n"
    "from django.conf import settings\n"
    "print(json.dumps({'cache': settings.CACHES['default'], 'session': settings.SESSION_ENGINE,"
    " 'tasks': settings.TASKS['default'], 'dbs': sorted(settings.DATABASES),"
    " 'routers': getattr(settings, 'DATABASE_ROUTERS', []), 'mw': settings.MIDDLEWARE,"
    " 'storage': settings.STORAGES['default']['BACKEND'],"
    " 'csp': getattr(settings, 'SECURE_CSP', None), 'csp_ro': getattr(settings, 'SECURE_CSP_REPORT_ONLY', None)}, default=str))"
)


def settings_with(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CHIBO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=BASE, capture_output=True, text=True,
        env={**clean, "CHIBO_VAR_DIR": str(tmp_path), **env},
    )


def loaded(tmp_path, **env: str) -> dict:
    result = settings_with(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def refused(tmp_path, message: str, **env: str) -> None:
    result = settings_with(tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_defaults_are_one_machine(tmp_path):
    s = loaded(tmp_path)
    assert s["cache"]["BACKEND"].endswith("LocMemCache")
    assert s["session"] == "django.contrib.sessions.backends.db"
    assert s["tasks"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert s["dbs"] == ["default"] and s["routers"] == []
    assert s["storage"] == "django.core.files.storage.FileSystemStorage"


def test_redis_for_cache_sessions_and_tasks(tmp_path):
    s = loaded(tmp_path, CHIBO_REDIS_URL="redis://127.0.0.1:6390/2", CHIBO_TASKS="rq")
    assert s["cache"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert s["cache"]["LOCATION"] == "redis://127.0.0.1:6390/2"
    assert s["session"] == "django.contrib.sessions.backends.cache"
    assert s["tasks"] == {"BACKEND": "chibo.ops.rq_backend.RQBackend",
                          "OPTIONS": {"URL": "redis://127.0.0.1:6390/2", "RETRIES": 3}}
    s = loaded(tmp_path, CHIBO_REDIS_URL="redis://127.0.0.1:6390/2", CHIBO_SESSIONS="cached_db")
    assert s["session"] == "django.contrib.sessions.backends.cached_db"


@pytest.mark.parametrize("env,message", [
    ({"CHIBO_TASKS": "rq"}, "CHIBO_TASKS=rq cần CHIBO_REDIS_URL"),
    ({"CHIBO_TASKS": "celery"}, "CHIBO_TASKS='celery': chỉ nhận database, immediate, rq"),
    ({"CHIBO_SESSIONS": "redis"}, "CHIBO_SESSIONS=redis cần CHIBO_REDIS_URL"),
    ({"CHIBO_REDIS_URL": "redis://127.0.0.1:6379", "CHIBO_SESSIONS": "file"}, "CHIBO_SESSIONS='file'"),
    ({"CHIBO_REDIS_URL": "http://127.0.0.1:6379"}, "CHIBO_REDIS_URL='http://127.0.0.1:6379'"),
    ({"CHIBO_STORAGE": "ftp"}, "CHIBO_STORAGE='ftp': chỉ nhận local hoặc s3"),
    ({"DATABASE_REPLICA_URL": "postgres://db2/chibo"}, "DATABASE_REPLICA_URL chỉ dùng khi DATABASE_URL là PostgreSQL"),
    ({"DATABASE_URL": "postgres://db1/chibo", "DATABASE_REPLICA_URL": "sqlite:///x.sqlite3"}, "bản sao phải là PostgreSQL"),
    ({"CHIBO_REPLICA_PIN_SECONDS": "0"}, "CHIBO_REPLICA_PIN_SECONDS=0 phải lớn hơn hoặc bằng 1"),
])
def test_unclear_settings_stop_the_start(tmp_path, env, message):
    refused(tmp_path, message, **env)


def test_s3_storage_needs_its_client_and_a_bucket(tmp_path):
    import importlib.util

    if importlib.util.find_spec("boto3") is None:
        refused(tmp_path, "CHIBO_STORAGE=s3 cần gói boto3", CHIBO_STORAGE="s3", CHIBO_S3_BUCKET="chibo")
    else:  # boto3 is in the lock
        refused(tmp_path, "cần CHIBO_S3_BUCKET", CHIBO_STORAGE="s3")
        s = loaded(tmp_path, CHIBO_STORAGE="s3", CHIBO_S3_BUCKET="chibo", CHIBO_S3_ENDPOINT_URL="http://127.0.0.1:9000")
        assert s["storage"] == "storages.backends.s3.S3Storage"


def test_replica_adds_alias_router_and_pinning(tmp_path):
    s = loaded(tmp_path, DATABASE_URL="postgres://db1/chibo", DATABASE_REPLICA_URL="postgres://db2/chibo")
    assert s["dbs"] == ["default", "replica"]
    assert s["routers"] == ["chibo.ops.dbrouter.PrimaryReplicaRouter"]
    assert s["mw"][1] == "chibo.ops.dbrouter.ReplicaPinMiddleware"


def test_csp_report_only_switch(tmp_path):
    s = loaded(tmp_path, CHIBO_CSP_REPORT_ONLY="1")
    assert s["csp"] == {} and s["csp_ro"]["script-src"][0] == "'self'"


def test_redis_url_parser(monkeypatch):
    monkeypatch.setenv("X_REDIS", "rediss://cache.internal:6380/0")
    assert redis_url("X_REDIS") == "rediss://cache.internal:6380/0"
    monkeypatch.setenv("X_REDIS", "unix:///run/redis.sock")
    assert redis_url("X_REDIS") == "unix:///run/redis.sock"
    for bad, msg in [("redis://:6379", "thiếu tên máy"), ("redis://h:99999", "cổng"), ("redis://h/abc", "số nguyên")]:
        monkeypatch.setenv("X_REDIS", bad)
        with pytest.raises(ImproperlyConfigured, match=msg):
            redis_url("X_REDIS")
    monkeypatch.delenv("X_REDIS")
    assert redis_url("X_REDIS") == ""


# --- security headers and CSP on real pages -------------------------------------------------
@pytest.mark.django_db
def test_security_headers_and_csp_on_pages(client, world):
    response = client.get("/tai-khoan/dang-nhap/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert re.search(r"script-src 'self'(; | 'nonce-)", csp)  # a nonce only when a page uses one
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    client.force_login(world.secretary)
    page = client.get(f"/dang-vien/{world.member_same.member.pk}/")
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    assert b'data-confirm="X\xc3\xb3a \xc4\x91\xe1\xba\xa3ng vi\xc3\xaan' in page.content


def test_no_template_has_inline_script_or_handler():
    """The CSP forbids inline script: templates must use static JS (static/js/ui.js) instead.
    Templates that only feed the PDF renderer (WeasyPrint, never a browser) may style inline."""
    offenders = []
    for path in [*BASE.glob("templates/**/*.html"), *BASE.glob("chibo/*/templates/**/*.html")]:
        if path.name.startswith("pdf"):
            continue
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:|\sstyle\s*=|\shx-on", text):
            offenders.append(f"{path.relative_to(BASE)}: {m.group(0)}")
    assert offenders == []

"""chibo settings: everything comes from the environment, with safe defaults.

Defaults give the embedded setup (SQLite, in-process tasks, DEBUG off).
`make run` turns DEBUG on; production sets DATABASE_URL and friends.
See docs/deploy.md for the environment reference.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    persistent_secret,
    redis_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CHIBO_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("CHIBO_DEBUG", False)
SECRET_KEY = persistent_secret("CHIBO_SECRET_KEY", VAR_DIR / "secret_key")
# Key for encrypting sensitive member fields (CCCD). Losing it loses those values.
FIELD_ENCRYPTION_KEY = persistent_secret("CHIBO_FIELD_KEY", VAR_DIR / "field_key", nbytes=32)

ALLOWED_HOSTS = env_list("CHIBO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CHIBO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_htmx",
    "django_tasks_db",
    "chibo.core",
    "chibo.rules",
    "chibo.audit",
    "chibo.accounts",
    "chibo.organisations",
    "chibo.members",
    "chibo.meetings",
    "chibo.documents",
    "chibo.oversight",
    "chibo.bulletin",
    "chibo.annual",
    "chibo.api",
    "chibo.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "chibo.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

# The benchmark adds a minimal view (the framework floor) beside the app's URLs.
ROOT_URLCONF = "chibo.ops.bench_urls" if env_bool("CHIBO_BENCH_FLOOR", False) else "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chibo.core.context_processors.chibo",
                "django.template.context_processors.csp",
            ],
        },
    },
]
# Django's form renderer, with its input, textarea and select widgets drawn in Python (same HTML;
# chibo/core/form_renderer.py says why and its tests compare both ways).
FORM_RENDERER = "chibo.core.form_renderer.FastWidgets"

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'chibo.sqlite3'}"), base_dir=BASE_DIR
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The backup's data.jsonl keeps every digit of times (chibo/ops/exact_jsonl.py).
SERIALIZATION_MODULES = {"exact_jsonl": "chibo.ops.exact_jsonl"}
# A PostgreSQL read replica: reads go there, writes and a user's reads right after a
# write go to the primary (chibo.ops.dbrouter; pin length CHIBO_REPLICA_PIN_SECONDS).
_replica = env_str("DATABASE_REPLICA_URL", "")
CHIBO_REPLICA_PIN_SECONDS = env_int("CHIBO_REPLICA_PIN_SECONDS", 15, minimum=1)
if _replica:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL chỉ dùng khi DATABASE_URL là PostgreSQL.")
    DATABASES["replica"] = database_from_url(_replica, base_dir=BASE_DIR)
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URL={_replica!r}: bản sao phải là PostgreSQL.")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["chibo.ops.dbrouter.PrimaryReplicaRouter"]
    MIDDLEWARE.insert(1, "chibo.ops.dbrouter.ReplicaPinMiddleware")

# PostgreSQL: the few hand-written statements on the hottest paths (chibo/core/rawsql.py: the live
# meeting's lock, the roll-call mark, the meeting every meeting page reads) are prepared — planned once
# per connection. Django's own queries are not (it binds parameters in the client). Needs a direct
# connection or PgBouncer >= 1.21 with max_prepared_statements > 0; CHIBO_PG_PREPARE=0 turns it off.
CHIBO_PG_PREPARE = env_bool("CHIBO_PG_PREPARE", True)
for _db in DATABASES.values():
    if CHIBO_PG_PREPARE and _db["ENGINE"] == "django.db.backends.postgresql":
        # psycopg prepares only when a threshold is set (Django sets None); statements are prepared
        # where rawsql asks (prepare=True), never by count: the threshold is out of reach.
        _db["OPTIONS"].setdefault("prepare_threshold", 2**31 - 1)  # type: ignore[union-attr, attr-defined]

# Cache and sessions: Redis when CHIBO_REDIS_URL is set (several app servers share it),
# else the local memory cache and sessions in the database. CHIBO_SESSIONS=db|redis|cached_db.
REDIS_URL = redis_url("CHIBO_REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CHIBO_CACHE_PREFIX", "chibo"),
            "TIMEOUT": env_int("CHIBO_CACHE_SECONDS", 300, minimum=1),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
_SESSION_ENGINES = {
    "db": "django.contrib.sessions.backends.db",
    "redis": "django.contrib.sessions.backends.cache",
    "cached_db": "django.contrib.sessions.backends.cached_db",
}
_sessions = env_str("CHIBO_SESSIONS", "redis" if REDIS_URL else "db")
if _sessions not in _SESSION_ENGINES:
    raise ImproperlyConfigured(
        f"CHIBO_SESSIONS={_sessions!r}: chỉ nhận {', '.join(sorted(_SESSION_ENGINES))}."
    )
if _sessions != "db" and not REDIS_URL:
    raise ImproperlyConfigured(f"CHIBO_SESSIONS={_sessions} cần CHIBO_REDIS_URL.")
SESSION_ENGINE = _SESSION_ENGINES[_sessions]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend reading the user's roles with the user (one query per request, not two).
    "chibo.accounts.backends.ScopedModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login security -----------------------------------------------------------
AXES_FAILURE_LIMIT = env_int("CHIBO_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("CHIBO_LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Roles that write or oversee must use TOTP two-factor (configurable).
CHIBO_2FA_REQUIRED = env_bool("CHIBO_2FA_REQUIRED", True)
OTP_TOTP_ISSUER = "chibo"

# Internationalisation: Vietnamese everywhere, dd/mm/yyyy.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt")]
TIME_ZONE = env_str("CHIBO_TIME_ZONE", "Asia/Ho_Chi_Minh")
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("CHIBO_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
# Uploads and generated files: the local disk (one machine), or S3-compatible object
# storage through django-storages when several app servers share them (CHIBO_STORAGE=s3).
_storage = env_str("CHIBO_STORAGE", "local")
if _storage == "local":
    _default_storage: dict[str, object] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif _storage == "s3":
    if importlib.util.find_spec("boto3") is None:
        raise ImproperlyConfigured(
            "CHIBO_STORAGE=s3 cần gói boto3 (django-storages dùng nó); gói này chưa có trong môi trường."
        )
    _bucket = env_str("CHIBO_S3_BUCKET", "")
    if not _bucket:
        raise ImproperlyConfigured("CHIBO_STORAGE=s3 cần CHIBO_S3_BUCKET.")
    _addressing = env_str("CHIBO_S3_ADDRESSING", "path")
    if _addressing not in ("path", "virtual"):
        raise ImproperlyConfigured(f"CHIBO_S3_ADDRESSING={_addressing!r}: chỉ nhận path hoặc virtual.")
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _bucket,
            "endpoint_url": env_str("CHIBO_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("CHIBO_S3_REGION", "") or None,
            "access_key": env_str("CHIBO_S3_ACCESS_KEY", "") or None,
            "secret_key": env_str("CHIBO_S3_SECRET_KEY", "") or None,
            "location": env_str("CHIBO_S3_PREFIX", ""),
            "addressing_style": _addressing,
            "default_acl": None,
            "querystring_auth": True,  # private files: signed, expiring links
            "querystring_expire": env_int("CHIBO_S3_LINK_SECONDS", 600, minimum=1),
            "file_overwrite": False,
        },
    }
else:
    raise ImproperlyConfigured(f"CHIBO_STORAGE={_storage!r}: chỉ nhận local hoặc s3.")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# Uploads: small, never executed.
CHIBO_MAX_UPLOAD_BYTES = env_int("CHIBO_MAX_UPLOAD_MB", 20, minimum=1) * 1024 * 1024

# Current-affairs bulletin and newsreader (chibo.bulletin).
CHIBO_BULLETIN_FEED_TIMEOUT = env_int("CHIBO_BULLETIN_FEED_TIMEOUT", 10, minimum=1)  # seconds
CHIBO_BULLETIN_FEED_MAX_BYTES = env_int("CHIBO_BULLETIN_FEED_MAX_KB", 2048, minimum=16) * 1024
CHIBO_BULLETIN_FEED_MAX_ITEMS = env_int("CHIBO_BULLETIN_FEED_MAX_ITEMS", 50, minimum=1)
CHIBO_BULLETIN_EXTRACT_PER_FETCH = env_int("CHIBO_BULLETIN_EXTRACT_PER_FETCH", 10, minimum=0)
# `manage.py prune_imports` (daily): pending import previews older than this are cancelled (their
# CCCD tokens dropped); finished batches older than CHIBO_IMPORT_KEEP_DAYS lose their rows.
CHIBO_IMPORT_PREVIEW_HOURS = env_int("CHIBO_IMPORT_PREVIEW_HOURS", 24, minimum=1)
CHIBO_IMPORT_KEEP_DAYS = env_int("CHIBO_IMPORT_KEEP_DAYS", 30, minimum=1)
# Feeds may not reach the server's own networks (loopback, private, link-local) except these hosts
# or networks (comma-separated names or CIDRs, e.g. "tin.tinhuy.local,10.20.0.0/16").
CHIBO_BULLETIN_PRIVATE_HOSTS = env_list("CHIBO_BULLETIN_PRIVATE_HOSTS", [])
CHIBO_TTS_ENGINE = env_str("CHIBO_TTS_ENGINE", "espeak")
if CHIBO_TTS_ENGINE not in ("espeak", "onnx"):
    raise ImproperlyConfigured(f"CHIBO_TTS_ENGINE={CHIBO_TTS_ENGINE!r}: chỉ nhận espeak hoặc onnx.")
CHIBO_TTS_ONNX_MODEL = env_str("CHIBO_TTS_ONNX_MODEL", "")  # path to a piper .onnx (+ .onnx.json beside it)
if CHIBO_TTS_ENGINE == "onnx" and not CHIBO_TTS_ONNX_MODEL:
    raise ImproperlyConfigured("CHIBO_TTS_ENGINE=onnx cần CHIBO_TTS_ONNX_MODEL (đường dẫn tệp .onnx).")
CHIBO_TTS_ESPEAK_VOICE = env_str("CHIBO_TTS_ESPEAK_VOICE", "vi")
CHIBO_TTS_ESPEAK_SPEED = env_int("CHIBO_TTS_ESPEAK_SPEED", 150, minimum=80)  # words per minute
CHIBO_TTS_FORMAT = env_str("CHIBO_TTS_FORMAT", "mp3")
if CHIBO_TTS_FORMAT not in ("mp3", "ogg"):
    raise ImproperlyConfigured(f"CHIBO_TTS_FORMAT={CHIBO_TTS_FORMAT!r}: chỉ nhận mp3 hoặc ogg.")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Background work: Django's tasks API. CHIBO_TASKS=database (default): tasks are rows in the
# database, run by `manage.py db_worker` (make run starts one beside the web server);
# immediate: run inside the request (tests, tiny installs); rq: Redis queue for many machines
# (CHIBO_REDIS_URL).
_tasks = env_str("CHIBO_TASKS", "database")
_TASK_BACKENDS: dict[str, dict[str, object]] = {
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
    "immediate": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
    "rq": {
        "BACKEND": "chibo.ops.rq_backend.RQBackend",
        "OPTIONS": {"URL": REDIS_URL, "RETRIES": env_int("CHIBO_TASK_RETRIES", 3, minimum=0)},
    },
}
if _tasks == "rq" and not REDIS_URL:
    raise ImproperlyConfigured("CHIBO_TASKS=rq cần CHIBO_REDIS_URL.")
if _tasks not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"CHIBO_TASKS={_tasks!r}: chỉ nhận {', '.join(sorted(_TASK_BACKENDS))}."
    )
TASKS = {"default": _TASK_BACKENDS[_tasks]}

# E-mail: console by default; SMTP when CHIBO_EMAIL_HOST is set.
_email_host = env_str("CHIBO_EMAIL_HOST", "")
if _email_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": env_int("CHIBO_EMAIL_PORT", 587, minimum=1),
                "username": env_str("CHIBO_EMAIL_USER", ""),
                "password": env_str("CHIBO_EMAIL_PASSWORD", ""),
                "use_tls": env_bool("CHIBO_EMAIL_TLS", True),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env_str("CHIBO_EMAIL_FROM", "chibo <no-reply@localhost>")

# Security headers. HTTPS-only cookies and HSTS whenever DEBUG is off, unless
# the operator explicitly serves plain HTTP (CHIBO_HTTPS=0, e.g. a LAN box).
HTTPS = env_bool("CHIBO_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("CHIBO_SESSION_HOURS", 12, minimum=1) * 3600
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_SSL_REDIRECT = env_bool("CHIBO_SSL_REDIRECT", False)
if env_bool("CHIBO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (Django's built-in middleware): only our own scripts, styles and
# images; no inline script or handler (static/js/ui.js replaces onclick/onsubmit), no plugins,
# no framing, forms post only to us. CHIBO_CSP_REPORT_ONLY=1 sends it as report-only instead.
_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if env_bool("CHIBO_CSP_REPORT_ONLY", False):
    SECURE_CSP_REPORT_ONLY = _CSP
else:
    SECURE_CSP = _CSP

NINJA_PAGINATION_PER_PAGE = 100
CHIBO_DEFAULT_RULEBOOK = env_str("CHIBO_DEFAULT_RULEBOOK", "hd42-2025")
# Dashboards above commune level (chibo.oversight.dashboard): figures that cost more than SYNC_MS to
# compute are shown as last computed (at most STALE_SECONDS old, the page says when) while a thread
# computes them again after a change below, at most once per REFRESH_GAP seconds per process.
CHIBO_DASHBOARD_SYNC_MS = env_int("CHIBO_DASHBOARD_SYNC_MS", 100, minimum=0)
CHIBO_DASHBOARD_STALE_SECONDS = env_int("CHIBO_DASHBOARD_STALE_SECONDS", 120, minimum=0)
CHIBO_DASHBOARD_REFRESH_GAP = env_int("CHIBO_DASHBOARD_REFRESH_GAP", 30, minimum=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("CHIBO_LOG_LEVEL", "WARNING")},
}

"""chibo settings: everything comes from the environment, with safe defaults.

Defaults give the embedded setup (SQLite, in-process tasks, DEBUG off).
`make run` turns DEBUG on; production sets DATABASE_URL and friends.
See docs/deploy.md for the environment reference.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    persistent_secret,
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

ROOT_URLCONF = "config.urls"
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
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'chibo.sqlite3'}"), base_dir=BASE_DIR
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# Uploads: small, never executed.
CHIBO_MAX_UPLOAD_BYTES = env_int("CHIBO_MAX_UPLOAD_MB", 20, minimum=1) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Background work: Django's tasks API. CHIBO_TASKS=database (default): tasks are rows in the
# database, run by `manage.py db_worker` (make run starts one beside the web server);
# immediate: run inside the request (tests, tiny installs); rq: Redis queue for many machines
# (CHIBO_REDIS_URL).
_tasks = env_str("CHIBO_TASKS", "database")
_TASK_BACKENDS = {
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
    "immediate": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
}
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

NINJA_PAGINATION_PER_PAGE = 100
CHIBO_DEFAULT_RULEBOOK = env_str("CHIBO_DEFAULT_RULEBOOK", "hd42-2025")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("CHIBO_LOG_LEVEL", "WARNING")},
}

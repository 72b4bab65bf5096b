"""Django settings for Xinfang. One file; everything that varies comes from the environment.

DATABASE_URL chooses the database (default: SQLite under ./var). Secrets come from the
environment or from a ``*_FILE`` path (Docker/K8s secrets); the demo generates its own.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("XINFANG_VAR_DIR", PROJECT_DIR / "var"))


def envbool(name: str, default: str = "False") -> bool:
    value = os.environ.get(name, default)
    if value in ("True", "true", "1"):
        return True
    if value in ("False", "false", "0", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be True or False, got {value!r}")


def envsecret(name: str, default: str | None = None) -> str | None:
    if os.environ.get(name):
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return default


def _local_secret(filename: str) -> str:
    """Development secret kept in var/ (created once). Production sets the variable."""
    import secrets

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / filename
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


# XINFANG_ENV=production leaves out the development-only app (xinfang.demo: the demo county
# with its published password, the seed, the bench and the screenshots). Anything else —
# the default "development", or "demo" — installs it.
XINFANG_ENV = os.environ.get("XINFANG_ENV", "development").strip().lower() or "development"
if XINFANG_ENV not in ("production", "development", "demo", "test"):
    raise ImproperlyConfigured(
        f"XINFANG_ENV must be production, development, demo or test, got {XINFANG_ENV!r}")
PRODUCTION = XINFANG_ENV == "production"

DEBUG = envbool("XINFANG_DEBUG", "False")
SECRET_KEY = envsecret("XINFANG_SECRET_KEY") or _local_secret("secret_key")
# Key for encrypted personal data and the blind index (issue 4); see xinfang/core/crypto.py.
FIELD_KEY = envsecret("XINFANG_FIELD_KEY") or _local_secret("field_key")
ALLOWED_HOSTS = os.environ.get("XINFANG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "xinfang.org",
    "xinfang.audit",
    "xinfang.petitions",
    "xinfang.web",
    "xinfang.api",
    "xinfang.practice",
]
if not PRODUCTION:
    INSTALLED_APPS.append("xinfang.demo")  # `xinfang seed`, `demo`, `bench`, `screenshots`

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "xinfang.core.security.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "xinfang.urls"
WSGI_APPLICATION = "xinfang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'xinfang.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout: the scheduler thread and requests write concurrently in the demo.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
XINFANG_MODEL_DIR = VAR_DIR / "models"  # trained text models (xinfang.petitions.intel)
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "xinfang.api.errors.exception_handler",
    # Client address = REMOTE_ADDR; behind N trusted proxies set XINFANG_NUM_PROXIES=N so a
    # client cannot dodge the limits with a forged X-Forwarded-For.
    "NUM_PROXIES": int(os.environ.get("XINFANG_NUM_PROXIES", "0")),
    "DEFAULT_THROTTLE_RATES": {
        "public_submit_ip": os.environ.get("XINFANG_RATE_SUBMIT_IP", "20/hour"),
        "public_submit_phone": os.environ.get("XINFANG_RATE_SUBMIT_PHONE", "10/hour"),
        "public_query_ip": os.environ.get("XINFANG_RATE_QUERY_IP", "60/min"),
        "public_query_phone": os.environ.get("XINFANG_RATE_QUERY_PHONE", "30/min"),
        "public_act_ip": os.environ.get("XINFANG_RATE_ACT_IP", "20/hour"),
        "public_act_phone": os.environ.get("XINFANG_RATE_ACT_PHONE", "10/hour"),
        "public_sms_ip": os.environ.get("XINFANG_RATE_SMS_IP", "20/hour"),
        "public_sms_phone": os.environ.get("XINFANG_RATE_SMS_PHONE", "10/hour"),
    },
}
AUTHENTICATION_BACKENDS = ["xinfang.core.security.LockoutBackend"]
# Throttling and the log-in lock-out count in the cache. LocMem is per process: a deployment
# with several workers needs a shared cache (e.g. Redis) configured here.
# Throttling and log-in lock-out counters live in the cache. One process (the demo): LocMem.
# Several workers in production must share it: set XINFANG_REDIS_URL (redis://127.0.0.1:6379/0).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["XINFANG_REDIS_URL"],
    }
    if os.environ.get("XINFANG_REDIS_URL")
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "xinfang",
    }
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Xinfang 信访工作平台 API",
    "DESCRIPTION": "信访事项登记、处置、办理、评价与查询接口（依据《信访工作条例》2022）",
    "VERSION": "1.0.0",
    # Swagger UI from the installed drf-spectacular-sidecar (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "MatterStateEnum": "xinfang.api.serializers.MATTER_STATE_CHOICES",
        "DispatchStateEnum": "xinfang.petitions.models.Dispatch.DState",
        "DispatchKindEnum": "xinfang.petitions.models.Dispatch.Kind",
        "BodyKindEnum": "xinfang.org.models.Body.Kind",
        "PetitionerKindEnum": "xinfang.petitions.models.Petitioner.Kind",
        "DocumentKindEnum": "xinfang.petitions.models.Document.Kind",
    },
}

# Run the deadline sweep inside the server process (the demo); production runs
# `xinfang sweep --loop` from cron or a worker instead.
XINFANG_INPROCESS_SCHEDULER = envbool("XINFANG_INPROCESS_SCHEDULER", "False")
XINFANG_SWEEP_INTERVAL = int(os.environ.get("XINFANG_SWEEP_INTERVAL", "300"))
# SMS gateway for the portal's one-time codes (xinfang/core/sms.py); the demo logs them.
XINFANG_SMS_ADAPTER = os.environ.get("XINFANG_SMS_ADAPTER", "xinfang.core.sms.LogSmsAdapter")
# The public API's submission asks for the same one-time code as the portal, so nobody files a
# matter under a phone they do not hold. Off only where a trusted front end has already
# verified the phone (or in a test that is about something else).
XINFANG_PUBLIC_SUBMIT_SMS_CODE = envbool("XINFANG_PUBLIC_SUBMIT_SMS_CODE", "True")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "xinfang": {"handlers": ["console"], "level": os.environ.get("XINFANG_LOG_LEVEL", "INFO")},
    },
}

"""Django settings for Xinfang. One file; everything that varies comes from the environment.

DATABASE_URL chooses the database (default: SQLite under ./var). Secrets come from the
environment or from a ``*_FILE`` path (Docker/K8s secrets); the demo generates its own.
"""

from __future__ import annotations

import os
from datetime import timedelta
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
        try:
            return Path(path).read_text(encoding="utf-8").strip() or default
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path}: cannot read it ({exc})") from exc
    return default


def _local_secret(filename: str) -> str:
    """Development secret kept in var/ (created once). Production never generates one: it
    refuses to start until XINFANG_<FILENAME> or XINFANG_<FILENAME>_FILE is set."""
    import secrets

    if PRODUCTION:
        name = f"XINFANG_{filename.upper()}"
        raise ImproperlyConfigured(
            f"XINFANG_ENV=production：缺少 {name}（或 {name}_FILE），生产环境不自动生成密钥。 "
            f"Production never generates secrets: set {name} or {name}_FILE "
            "(docs/operations.md).")
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
# Key of the audit log's HMAC chain (xinfang/audit/services.py, issue 14 item 10): outside the
# database, so a database dump or a DBA cannot rewrite and re-seal the chain. Anchors (the
# chain's head, appended periodically) go to XINFANG_AUDIT_ANCHOR_FILE, off the database too.
AUDIT_KEY = envsecret("XINFANG_AUDIT_KEY") or _local_secret("audit_key")
XINFANG_AUDIT_ANCHOR_FILE = os.environ.get("XINFANG_AUDIT_ANCHOR_FILE",
                                           str(VAR_DIR / "audit-anchors.jsonl"))


def _inside(path: str, root: Path) -> bool:
    try:
        Path(path).resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


# Issue 14 item 13: in production the field key never sits in the data directory, so a copy
# of the data (a backup, a stolen disk image of var/) does not carry the key that opens it.
if (PRODUCTION and not os.environ.get("XINFANG_FIELD_KEY")
        and _inside(os.environ.get("XINFANG_FIELD_KEY_FILE", "") or "/", VAR_DIR)):
    raise ImproperlyConfigured(
        "XINFANG_FIELD_KEY_FILE 位于数据目录（XINFANG_VAR_DIR）内：字段密钥不得与数据存放在一起。 "
        "XINFANG_FIELD_KEY_FILE lies inside the data directory (XINFANG_VAR_DIR): keep the "
        "field key apart from the data it opens (e.g. /run/secrets or /etc/xinfang).")
if PRODUCTION and (len(FIELD_KEY) < 32 or "change-me" in FIELD_KEY):
    raise ImproperlyConfigured(
        "XINFANG_FIELD_KEY 过短或仍是示例值（至少 32 个字符的随机串）。 XINFANG_FIELD_KEY is too "
        "short or the example's placeholder: use at least 32 random characters.")
# Keys being retired by `xinfang rotate-field-key` (comma-separated): still accepted for
# reading and lookups until the rotation has finished, never used to encrypt.
FIELD_KEYS_OLD = [k.strip() for k in (envsecret("XINFANG_FIELD_KEY_OLD") or "").split(",")
                  if k.strip()]
ALLOWED_HOSTS = os.environ.get("XINFANG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    # django.contrib.admin behind the second factor (xinfang.core.second_factor)
    "xinfang.core.admin_apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",  # API tokens, hashed and expiring (org.ApiToken)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "xinfang.core",  # the security store's table (core.StoreEntry)
    "xinfang.org",
    "xinfang.audit",
    "xinfang.petitions",
    "xinfang.web",
    "xinfang.api",
    "xinfang.practice",
    "xinfang.notify",  # notifications to petitioners and staff (issue 16; docs/operations.md)
    "django_tasks",
    "django_tasks_db",
    "xinfang.ops",  # jobs, worker, /healthz, /metrics (docs/operations.md)
]
# Jobs are django-tasks rows in the project's own database, run by `xinfang worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
if not PRODUCTION:
    INSTALLED_APPS.append("xinfang.demo")  # `xinfang seed`, `demo`, `bench`, `screenshots`

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "xinfang.core.uploads.RequestSizeLimitMiddleware",  # 413 before reading an oversized body
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "xinfang.core.logs.RequestIdMiddleware",
    "xinfang.ops.metrics.MetricsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "xinfang.core.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "xinfang.core.security.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Chinese data on English pages marked lang="zh-Hans" (WCAG 3.1.2; core/langmark.py).
    "xinfang.core.langmark.ChineseDataLangMiddleware",
]

# Sizes (issue 14 item 15; xinfang.domain.limits): form fields and JSON bodies at most 1 MB,
# each uploaded file counted while it streams in and cut off past 10 MB (core.uploads).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "xinfang.core.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
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
    # Django's backend, retrying a BEGIN IMMEDIATE that found the lock taken (issue 14 item 12).
    DATABASES["default"]["ENGINE"] = "xinfang.core.sqlite"
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif not envbool("XINFANG_PG_JIT", "False"):
    # PostgreSQL's JIT compiles a query whose *estimated* cost passes jit_above_cost: the queue
    # tabs' badge counts (a UNION of ~50 small index scans, 13 ms to run) spent 916 ms compiling
    # 834 functions on every page at 20,000 matters (docs/benchmarks.md). OLTP pages never win
    # from it; a reporting database may turn it back on (XINFANG_PG_JIT=1).
    _opts = DATABASES["default"].setdefault("OPTIONS", {})
    _opts["options"] = f"{_opts.get('options', '')} -c jit=off".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and envbool(
        "XINFANG_DB_POOL", "True" if PRODUCTION else "False"):
    # PostgreSQL through a psycopg pool per process (recipes §16): a process never holds more
    # than XINFANG_DB_POOL_SIZE connections, so the server's max_connections bounds
    # gunicorn workers × pool size + job workers, whatever the number of clients. The pool
    # replaces persistent connections (CONN_MAX_AGE must be 0).
    _pool_size = int(os.environ.get("XINFANG_DB_POOL_SIZE", "4"))
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1, "max_size": _pool_size,
        "timeout": float(os.environ.get("XINFANG_DB_POOL_TIMEOUT", "10"))}
# A streaming replica (issue 15; xinfang/core/dbrouter.py, docs/operations.md "A read
# replica"): the read-only pages below read it; writes, and the reads of whoever wrote in the
# last REPLICA_PIN_SECONDS, go to the primary.
REPLICA_URL = envsecret("XINFANG_REPLICA_URL")
REPLICA_VIEWS = frozenset({
    "search", "search_export", "dashboard", "dashboard_data", "topics", "topic",
    "practice:report_daily", "practice:report_weekly", "practice:report_monthly",
    "practice:report_monthly_xlsx", "practice:report_monthly_pdf",
    "api:search", "api:warnings",
})
# The case data only: users, roles and bodies (org) are read on the primary, so a deactivated or
# moved account never keeps its old scope on a lagging replica (review).
REPLICA_APPS = frozenset({"petitions", "practice"})
REPLICA_PIN_SECONDS = int(os.environ.get("XINFANG_REPLICA_PIN_SECONDS", "15"))
REPLICA_MAX_LAG = float(os.environ.get("XINFANG_REPLICA_MAX_LAG", "30"))
if REPLICA_URL:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("XINFANG_REPLICA_URL needs PostgreSQL as DATABASE_URL")
    _replica = dj_database_url.parse(REPLICA_URL, conn_max_age=0)
    _replica["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}),
                           **_replica.get("OPTIONS", {})}
    _replica["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    # Tests: no test database is created on the read-only standby; it reads the primary's
    # test database as it arrives by replication (recipes §8).
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["xinfang.core.dbrouter.ReplicaRouter"]
    MIDDLEWARE.append("xinfang.core.dbrouter.ReplicaMiddleware")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Django's validators; length and similarity with Chinese messages (core.passwords).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "xinfang.core.passwords.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("username", "display_name", "email", "phone")}},
    {"NAME": "xinfang.core.passwords.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The second factor (xinfang.core.totp, core.second_factor; docs/security.md). The roles that
# can reveal identities must enrol before they may do anything else.
XINFANG_REQUIRE_SECOND_FACTOR = envbool("XINFANG_REQUIRE_SECOND_FACTOR", "True")
XINFANG_SECOND_FACTOR_ROLES = ("leader", "officer", "admin")
OTP_TOTP_ISSUER = "信访工作平台"
# API tokens (django-rest-knox): stored as a SHA-512 digest, expire after
# XINFANG_API_TOKEN_HOURS (default 10), at most 10 live ones per person, no silent renewal.
KNOX_TOKEN_MODEL = "org.ApiToken"
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=float(os.environ.get("XINFANG_API_TOKEN_HOURS", "10"))),
    "TOKEN_LIMIT_PER_USER": 10,
    "AUTO_REFRESH": False,
}
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("XINFANG_STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
XINFANG_MODEL_DIR = VAR_DIR / "models"  # trained text models (xinfang.petitions.intel)
# §25: a 重大紧急 report is due "及时" — the 条例 gives no hours, so this is the local limit
# (hours from the declaration; default 2). The sweep flags an unsent report after it.
XINFANG_URGENT_REPORT_HOURS = float(os.environ.get("XINFANG_URGENT_REPORT_HOURS", "2"))
# Unit assessment (issue 17, §39): the weights of the score (indicator code → points; default
# the published 达川区 scheme, docs/shared assessment.md) and the minimum volume (deadlines the
# unit's rates rest on in the period) below which a unit is listed but not ranked.
XINFANG_ASSESSMENT: dict[str, object] = {"weights": None, "min_volume": 10}
MEDIA_URL = "/media/"
# Production serves what `collectstatic` (run by `make serve` and the deploy units) wrote:
# hashed names, gzip and brotli siblings, cached for a year. Development, the demo and the
# tests serve straight from the app folders through the finders.
WHITENOISE_USE_FINDERS = not PRODUCTION
# Source maps (the API docs' bundles) are for a developer's browser: not worth compressing.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = ("map", "jpg", "jpeg", "png", "gif", "webp", "zip",
                                       "gz", "tgz", "bz2", "xz", "br", "woff", "woff2")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
                    if PRODUCTION else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# HTTPS behind a TLS-terminating proxy (docs/operations.md). XINFANG_HTTPS defaults to on in
# production: secure cookies, HSTS and a redirect to https (the probes /healthz and /metrics
# excepted, so a local check over plain HTTP still answers). The proxy must set the header
# named by XINFANG_PROXY_SSL_HEADER (default X-Forwarded-Proto) and strip it from clients.
XINFANG_HTTPS = envbool("XINFANG_HTTPS", "True" if PRODUCTION else "False")
if os.environ.get("XINFANG_PROXY_SSL_HEADER", "X-Forwarded-Proto" if XINFANG_HTTPS else ""):
    _proxy_header = os.environ.get("XINFANG_PROXY_SSL_HEADER", "X-Forwarded-Proto")
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get(
    "XINFANG_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
if XINFANG_HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("XINFANG_SSL_REDIRECT", "True")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("XINFANG_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("XINFANG_HSTS_INCLUDE_SUBDOMAINS", "True")
    SECURE_HSTS_PRELOAD = envbool("XINFANG_HSTS_PRELOAD", "True")

REST_FRAMEWORK = {
    # Token first: a missing, expired or revoked token is answered 401 with
    # `WWW-Authenticate: Token`; the session (the browser's API docs) still works.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "xinfang.api.schema.AutoSchema",  # + the error answers
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "xinfang.api.errors.exception_handler",
    # JSON nested past 32 levels is a 400, not a RecursionError (issue 14 item 11).
    "DEFAULT_PARSER_CLASSES": [
        "xinfang.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
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
    # Production without Redis still shares one cache between its workers: a database table
    # (`xinfang createcachetable`, run by `make serve` and the deploy units).
    else {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "xinfang_cache",
    }
    if PRODUCTION
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "xinfang",
    }
}
# Lock-outs, throttle counters and pending one-time codes (xinfang.core.store, issue 14 item 9):
# never in a cache that evicts. The database table by default; Redis when XINFANG_REDIS_URL is
# set (or XINFANG_REDIS_SECURITY_URL, e.g. another logical DB or server; that server must run
# with maxmemory-policy noeviction — system check xinfang.W010).
if os.environ.get("XINFANG_REDIS_SECURITY_URL") or os.environ.get("XINFANG_REDIS_URL"):
    CACHES["security"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("XINFANG_REDIS_SECURITY_URL") or os.environ["XINFANG_REDIS_URL"],
        "KEY_PREFIX": "xinfang-security",
    }
else:
    CACHES["security"] = {"BACKEND": "xinfang.core.store.DatabaseStore"}
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
        # The evaluation's rating and the act field's (domain/fields.py) are one choice set.
        "RatingEnum": "xinfang.petitions.models.Evaluation.Rating",
        # An act's outcome and new_outcome (domain/fields.py, labelled by value) are one set;
        # the matter's stored outcome (Chinese labels) keeps MatterDetailOutcomeEnum.
        "OutcomeEnum": "xinfang.domain.states.OUTCOME_LABELS",
        # A matter's intake channel (信访形式) and a 回访's channel (phone, visit …) differ.
        "MatterChannelEnum": "xinfang.petitions.models.Channel",
        "FollowUpChannelEnum": "xinfang.petitions.models_followup.FollowUp.Channel",
        # An act's two ratings (the handling body's and the 信访部门's, 国信发〔2022〕11号)
        # share one choice set (domain/fields.py RATINGS, labelled by value).
        "ActRatingEnum": "xinfang.domain.fields.RATINGS",
    },
}

# Where practice varies by place (procedure.md §3.4), the 复查/复核 rules; defaults from 鲁 §45:
# - redo_on_unsatisfied: a 不满意 rating lets the petitioner choose a 重办 (practice); the §35
#   window stays open whatever they choose;
# - redo_days: the limit a 责令重新办理 sets when the reviewer names none;
#   (a 复核 that sets aside the 复查 opinion sends it back to the 复查 body, 鲁 §45, which may
#   in turn order the handling body to redo its own);
# - bar_same_opinion: the redone answer may not repeat the one set aside (鲁 §45 ¶2, 京 §50 ¶2).
# A 复查/复核 window that lapsed with no request closes the matter (京 §37 (三), 鲁 §33 ¶3;
# not in the 2022 条例): the sweep closes it unless this is off; a late request with a 正当理由
# reopens it either way.
XINFANG_CLOSE_ON_WINDOW_LAPSE = envbool("XINFANG_CLOSE_ON_WINDOW_LAPSE", "True")
XINFANG_REVIEW_RULES = {
    "redo_on_unsatisfied": envbool("XINFANG_REDO_ON_UNSATISFIED", "True"),
    "redo_days": int(os.environ.get("XINFANG_REDO_DAYS", "30")),
    "bar_same_opinion": envbool("XINFANG_BAR_SAME_OPINION", "True"),
}

# Run the deadline sweep inside the server process (the demo); production runs it as a
# scheduled job in `xinfang worker` (xinfang.ops.jobs; docs/operations.md).
XINFANG_INPROCESS_SCHEDULER = envbool("XINFANG_INPROCESS_SCHEDULER", "False")
XINFANG_SWEEP_INTERVAL = int(os.environ.get("XINFANG_SWEEP_INTERVAL", "300"))
# The other scheduled jobs (xinfang.ops.periodic): last month's bulletins written to
# var/reports once a day (a no-op once written), the category model retrained weekly.
XINFANG_REPORTS_INTERVAL = int(os.environ.get("XINFANG_REPORTS_INTERVAL", str(24 * 3600)))
XINFANG_RETRAIN_INTERVAL = int(os.environ.get("XINFANG_RETRAIN_INTERVAL", str(7 * 24 * 3600)))
XINFANG_TOPICS_INTERVAL = int(os.environ.get("XINFANG_TOPICS_INTERVAL", "900"))  # the topics job
# The similarity job (the same-matter index snapshot the web workers map): looked at this
# often, rebuilt after this many new matters or 6 h (petitions.intel.index_store).
XINFANG_SIMILARITY_INTERVAL = int(os.environ.get("XINFANG_SIMILARITY_INTERVAL", "900"))
XINFANG_SIMILARITY_REBUILD_AFTER = int(os.environ.get("XINFANG_SIMILARITY_REBUILD_AFTER", "2000"))
# Processes a full run of the topics job forks for its queries (1: none).
XINFANG_TOPICS_WORKERS = int(os.environ.get("XINFANG_TOPICS_WORKERS", "2"))
XINFANG_REPORTS_DIR = Path(os.environ.get("XINFANG_REPORTS_DIR", str(VAR_DIR / "reports")))
XINFANG_EXPORTS_DIR = Path(os.environ.get("XINFANG_EXPORTS_DIR", str(VAR_DIR / "exports")))
# /metrics from another host needs `Authorization: Bearer <token>` (xinfang.ops.metrics).
XINFANG_METRICS_TOKEN = envsecret("XINFANG_METRICS_TOKEN") or ""
# SMS gateway for the portal's one-time codes (xinfang/core/sms.py); the demo logs them.
XINFANG_SMS_ADAPTER = os.environ.get("XINFANG_SMS_ADAPTER", "xinfang.core.sms.LogSmsAdapter")
# The public API's submission asks for the same one-time code as the portal, so nobody files a
# matter under a phone they do not hold. Off only where a trusted front end has already
# verified the phone (or in a test that is about something else).
XINFANG_PUBLIC_SUBMIT_SMS_CODE = envbool("XINFANG_PUBLIC_SUBMIT_SMS_CODE", "True")

# Notifications (xinfang.notify; docs/operations.md, "Notifications"): SMS through the adapter
# above, e-mail through Django's mail (the SMTP server below), an optional app adapter.
XINFANG_NOTIFY = envbool("XINFANG_NOTIFY", "True")
XINFANG_NOTIFY_RETRY_SECONDS = int(os.environ.get("XINFANG_NOTIFY_RETRY_SECONDS", "60"))
# A delivery's task attempts, with it, up to this many − 1 other queued deliveries of its
# channel (xinfang/notify/delivery.py, "Batches"); 1: each delivery by its own task.
XINFANG_NOTIFY_BATCH = int(os.environ.get("XINFANG_NOTIFY_BATCH", "50"))
# A claimed delivery (发送中) left this long by its worker is claimed again (delivery.py,
# "The lease"); more than the longest single send.
XINFANG_NOTIFY_LEASE_SECONDS = int(os.environ.get("XINFANG_NOTIFY_LEASE_SECONDS", "300"))
XINFANG_SMS_SIGNATURE = os.environ.get("XINFANG_SMS_SIGNATURE", "信访工作平台")
XINFANG_PUBLIC_URL = os.environ.get("XINFANG_PUBLIC_URL", "")
XINFANG_NOTIFY_APP_ADAPTER = os.environ.get("XINFANG_NOTIFY_APP_ADAPTER", "")
XINFANG_WECOM_WEBHOOKS = os.environ.get("XINFANG_WECOM_WEBHOOKS", "")
# The petitioner is reminded this many days before a 复查/复核 window closes (§35, §36).
XINFANG_WINDOW_NOTICE_DAYS = int(os.environ.get("XINFANG_WINDOW_NOTICE_DAYS", "5"))
# A 回访 is expected within this many days of the answer (the supervision page lists the rest).
XINFANG_FOLLOW_UP_DAYS = int(os.environ.get("XINFANG_FOLLOW_UP_DAYS", "15"))
EMAIL_BACKEND = os.environ.get("XINFANG_EMAIL_BACKEND",
                               "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("XINFANG_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("XINFANG_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("XINFANG_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = envsecret("XINFANG_EMAIL_PASSWORD") or ""
EMAIL_USE_TLS = envbool("XINFANG_EMAIL_TLS", "False")
EMAIL_USE_SSL = envbool("XINFANG_EMAIL_SSL", "False")
EMAIL_TIMEOUT = 15
DEFAULT_FROM_EMAIL = os.environ.get("XINFANG_EMAIL_FROM", "noreply@xinfang.invalid")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # XINFANG_LOG_FORMAT: json (production's default: one object a line with the request id)
    # or text (the demo's); xinfang.core.logs.
    "filters": {"request_id": {"()": "xinfang.core.logs.RequestIdFilter"},
                # No personal query parameters in any line (issue 14 item 13).
                "personal_data": {"()": "xinfang.core.logs.PersonalDataFilter"}},
    "formatters": {
        "json": {"()": "xinfang.core.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {
        "class": "logging.StreamHandler", "filters": ["request_id", "personal_data"],
        "formatter": os.environ.get("XINFANG_LOG_FORMAT", "json" if PRODUCTION else "text")}},
    "loggers": {
        "xinfang": {"handlers": ["console"], "level": os.environ.get("XINFANG_LOG_LEVEL", "INFO")},
        # A 500 leaves its traceback in the log whatever DEBUG is (Django's default sends
        # django.request only to mail_admins outside DEBUG, i.e. nowhere) — issue 14 item 11.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # runserver's request lines (the demo's access log), scrubbed like every other line.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

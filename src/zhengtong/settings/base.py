"""All defaults, read from the environment.

Embedded defaults need no server: a SQLite file, a local lake folder, the database task backend.
Production sets DATABASE_URL (PostgreSQL), REDIS_URL and LAKE_URL.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

from django.utils.translation import gettext_lazy as _

PROJECT_DIR = Path(__file__).resolve().parents[3]
# Everything the platform writes at run time lives under ZHENGTONG_HOME (outside git).
HOME_DIR = Path(os.environ.get("ZHENGTONG_HOME", PROJECT_DIR / "var")).resolve()
HOME_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def load_secret_key() -> str:
    """SECRET_KEY from the environment, else from a file generated on first run (never committed)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = Path(os.environ.get("SECRET_KEY_FILE", HOME_DIR / "secret_key"))
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = load_secret_key()
DEBUG = env_bool("ZHENGTONG_DEBUG")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    # kernel
    "zhengtong.kernel.org",
    "zhengtong.kernel.identity",
    "zhengtong.kernel.ids",
    "zhengtong.kernel.calendar",
    "zhengtong.kernel.masking",
    "zhengtong.kernel.events",
    "zhengtong.kernel.loops",
    "zhengtong.kernel.crypto",
    "zhengtong.kernel.ledger",
    "zhengtong.kernel.search",
    # public data platform
    "zhengtong.data.catalog",
    "zhengtong.data.ingest",
    "zhengtong.data.quality",
    "zhengtong.data.registry",
    "zhengtong.data.exchange",
    "zhengtong.data.mydata",
    "zhengtong.data.opendata",
    "zhengtong.services.guide",
    "zhengtong.services.applications",
    "zhengtong.services.onething",
    "zhengtong.services.licences",
    "zhengtong.services.reviews",
    "zhengtong.supervision.credit",
    "zhengtong.supervision.supervision",
    # shared pages and components
    "zhengtong.web",
    # the demo province and the benchmarks
    "zhengtong.demo",
    "zhengtong.bench",
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
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Axes last: it turns a locked-out login into a lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "zhengtong.urls"
WSGI_APPLICATION = "zhengtong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "zhengtong.web.context_processors.platform",
            ],
        },
    }
]

# Relational store: embedded SQLite by default, PostgreSQL in production (DATABASE_URL).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{HOME_DIR / 'zhengtong.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker share the file: WAL lets readers go on during a write, IMMEDIATE avoids
    # the lock-upgrade deadlock between two writers, the timeout waits instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "identity.User"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The data lake: a local folder by default, any fsspec URL in production.
LAKE_URL = os.environ.get("LAKE_URL", (HOME_DIR / "lake").as_uri())

# The sharing gateway's aggregate queries (可用不可见) answer only groups of at least this many
# records; a system reading by a person's consent (no grant) may make this many calls a minute.
SHARE_AGGREGATE_MIN_GROUP = int(os.environ.get("SHARE_AGGREGATE_MIN_GROUP", "10"))
SHARE_CONSENT_RATE_LIMIT = int(os.environ.get("SHARE_CONSENT_RATE_LIMIT", "600"))

# The open-data API: each developer key's calls a minute and a day; anonymous CKAN API calls a
# minute per client address.
OPENDATA_KEY_RATE_PER_MINUTE = int(os.environ.get("OPENDATA_KEY_RATE_PER_MINUTE", "60"))
OPENDATA_KEY_DAILY_QUOTA = int(os.environ.get("OPENDATA_KEY_DAILY_QUOTA", "10000"))
OPENDATA_ANONYMOUS_RATE_PER_MINUTE = int(os.environ.get("OPENDATA_ANONYMOUS_RATE_PER_MINUTE", "120"))

# The service platform: where notices are copied besides the in-app inbox (dotted adapter classes,
# comma-separated; the console adapter only logs), and the working days an applicant has to make a
# correction (补正) before the application lapses.
NOTICE_ADAPTERS = tuple(filter(None, os.environ.get(
    "NOTICE_ADAPTERS", "zhengtong.services.applications.notices.ConsoleAdapter").split(",")))
APPLICATION_CORRECTION_DAYS = int(os.environ.get("APPLICATION_CORRECTION_DAYS", "20"))
# 好差评: a bad review is called back within this many working days and rectified within that many
# (read when the loop kind registers, at start-up).
REVIEW_CALLBACK_DAYS = int(os.environ.get("REVIEW_CALLBACK_DAYS", "1"))
REVIEW_RECTIFY_DAYS = int(os.environ.get("REVIEW_RECTIFY_DAYS", "15"))

# 电子证照: the CJK font a licence PDF embeds (a subset of it), as "path" or "path#face" for a font
# collection: Debian's Noto Sans CJK (fonts-noto-cjk, face 2 is SC), else what fontconfig offers for
# zh-cn. With none, licences still issue and asking for a PDF says which font is missing. The reduced
# font (ASCII, CJK punctuation, the GB2312 hanzi) each PDF is made from is cached in LICENCE_PDF_FONT_CACHE.
def _licence_pdf_font() -> str:
    noto = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    if noto.exists():
        return f"{noto}#2"
    try:
        import subprocess

        found = subprocess.run(["fc-match", "-f", "%{file}#%{index}", "sans:lang=zh-cn"], capture_output=True,
                               text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return found if found.split("#")[0].lower().endswith((".ttc", ".otf", ".ttf")) else ""


LICENCE_PDF_FONT = os.environ.get("LICENCE_PDF_FONT") or _licence_pdf_font()
# The project's var/ (not ZHENGTONG_HOME): the reduced font depends only on the source font, so
# every home (each test run's too) shares it; an unwritable folder falls back to the system's temp.
LICENCE_PDF_FONT_CACHE = Path(os.environ.get("LICENCE_PDF_FONT_CACHE", PROJECT_DIR / "var" / "fonts"))

# 国密 by default (SM2/SM3/SM4); "international" switches to Ed25519/SHA-256/AES-GCM.
CRYPTO_PROFILE = os.environ.get("CRYPTO_PROFILE", "guomi")
# Signing keys and field-encryption keys live outside git: here, or given by the environment.
KEYS_DIR = Path(os.environ.get("ZHENGTONG_KEYS_DIR", HOME_DIR / "keys"))

# Django's tasks API; the database backend needs no broker.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

AUTHENTICATION_BACKENDS = [
    # Axes first so a locked-out username is refused before any password check.
    "axes.backends.AxesStandaloneBackend",
    "zhengtong.kernel.identity.backends.AccountBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "identity:login"
LOGIN_REDIRECT_URL = "web:portal-home"

# Staff must present a TOTP code besides the password (等保 level 3: two factors for staff).
STAFF_REQUIRE_TOTP = env_bool("STAFF_REQUIRE_TOTP", True)
OTP_TOTP_ISSUER = "政通 Zhengtong"

# Login lockout (django-axes): five failures lock the login name for 15 minutes, whether or not it
# exists, so a lockout tells nothing about accounts.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
# Lock the login name (whoever tries it) and, separately, one client (IP + user agent) that
# sprays many names; a whole office behind one NAT address is not locked by one colleague.
AXES_LOCKOUT_PARAMETERS = ["username", ["ip_address", "user_agent"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "identity/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
# Axes keeps the failed form's data; a TOTP code is as secret as the password it already masks.
# The typed login may be a resident ID: axes keeps it only as the account's blind-index key.
AXES_SENSITIVE_PARAMETERS = ["otp_token", "username"]
AXES_USERNAME_CALLABLE = "zhengtong.kernel.identity.backends.lockout_username"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS: list = []  # each app keeps its own locale/ folder
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True  # stored in UTC, shown in Asia/Shanghai

STATIC_URL = "/static/"
STATIC_ROOT = HOME_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = HOME_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_COOKIE_SECURE = env_bool("HTTPS_ONLY")
CSRF_COOKIE_SECURE = env_bool("HTTPS_ONLY")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "zhengtong.kernel.identity.authentication.ApiKeyAuthentication",
        "zhengtong.kernel.identity.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "政通 Zhengtong API",
    "DESCRIPTION": "Open APIs of the Zhengtong digital-government platform.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from the sidecar package: the docs work offline, no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two modules have a "channel" field with different choices: each enum gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "ApplicationChannelEnum": "zhengtong.services.applications.models.Channel",
        "ReviewChannelEnum": "zhengtong.services.reviews.models.ReviewChannel",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # SpiffWorkflow logs every task state change at INFO: too chatty for a server log.
    "loggers": {"axes": {"level": "WARNING"}, "spiff": {"level": "WARNING"}},
}

PLATFORM_NAME = _("Zhengtong")

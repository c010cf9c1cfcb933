"""Settings of Boîte, read from environment variables.

Every value has a safe default for a developer's checkout (SQLite under var/, console
e-mail, DEBUG off); production sets the variables listed in docs/deployment.md.
Readers in boite.lib.env refuse bad values with a clear message.
"""

import secrets
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from boite.lib.env import (
    env_bool,
    env_fernet_keys,
    env_int,
    env_int_list,
    env_list,
    env_networks,
    env_str,
)
from boite.lib.varfiles import private_dir, touch_private, write_private

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = private_dir(env_str("BOITE_VAR_DIR", str(BASE_DIR / "var")))  # 0700 (varfiles)

DEBUG = env_bool("DEBUG", False)
# Tests run under pytest; BOITE_TESTING forces the same behaviour elsewhere.
TESTING = env_bool("BOITE_TESTING", False) or "pytest" in sys.modules


def _secret_key() -> str:
    """SECRET_KEY from the environment, or a development key generated once into var/."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    if env_bool("BOITE_PRODUCTION", False):
        raise ImproperlyConfigured("SECRET_KEY must be set when BOITE_PRODUCTION is on.")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        write_private(path, secrets.token_urlsafe(64).encode())
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# Keys that encrypt the secrets kept in the database (boite.lib.crypto): Fernet keys,
# newest first; the first encrypts, all decrypt. Empty: a key derived from SECRET_KEY
# (fine for development; `check --deploy` warns). Rotation: docs/deployment.md.
BOITE_SECRET_KEYS = env_fernet_keys("BOITE_SECRET_KEYS")

# Each network is chosen by host name (boite.networks.middleware); hosts unknown to
# every network get a 404 page from that middleware, so the list here only guards
# against forged Host headers.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", ".localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "boite.apps.BoiteAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "boite.lib",
    "boite.networks",
    "boite.catalog",
    "boite.patrons",
    "boite.access",
    "boite.lending",
    "boite.stats",
    "boite.finance",
    "boite.pro",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "boite.lib.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "boite.networks.middleware.NetworkMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "boite.lib.language.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "boite.lib.security.RequestBodyLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "boite.urls"
WSGI_APPLICATION = "boite.wsgi.application"

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
                "boite.networks.context_processors.network",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL names another (PostgreSQL in production).
_default_db = f"sqlite:///{VAR_DIR / 'boite.sqlite3'}"
try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL", _default_db),
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
            conn_health_checks=True,
        )
    }
except ValueError as error:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {error}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; the busy timeout makes a
    # writer wait for the other instead of failing at once. A database under var/ is
    # created 0600 (its WAL and journal then take the same permissions).
    _sqlite_file = Path(str(DATABASES["default"]["NAME"]))
    if _sqlite_file.is_relative_to(VAR_DIR) and not TESTING:
        touch_private(_sqlite_file)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# Tests on SQLite use a file, not Django's shared in-memory database: in memory, SQLite
# answers « table locked » at once instead of waiting its busy timeout, so the
# concurrency tests (the last copy, quotas, tickets) would not see what production sees.
_test_db_default = (
    str(VAR_DIR / "test.sqlite3")
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    else None
)
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME") or _test_db_default}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "networks.User"

PASSWORD_HASHERS = [
    "boite.lib.hashers.BoiteArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Fast hashing keeps the suite quick; production uses argon2 above.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "admin:login"

# Caches, three aliases (docs/deployment.md « Caches and counters »):
# - `default`: what may be lost (a network by host name, a harvest's live progress,
#   statistics tables, sessions read through);
# - `pages`: the public pages kept for anonymous visitors (boite.lib.pagecache), apart so
#   that a flood of pages can only push out other pages;
# - `counters`: login lockouts and rate limits (boite.lib.counters), in a store that never
#   evicts to make room: Redis (COUNTERS_REDIS_URL, by default REDIS_URL, whose
#   maxmemory-policy must not be allkeys-*), else a table of the database.
# Without Redis `default` and `pages` are files under var/cache, which the web processes
# and the worker share; process memory in the tests.
REDIS_URL = env_str("REDIS_URL")
COUNTERS_REDIS_URL = env_str("COUNTERS_REDIS_URL", REDIS_URL)
_COUNTERS_IN_DATABASE = {"BACKEND": "boite.lib.counters.DatabaseCounters"}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        },
        "pages": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pages",
        },
    }
    # Sessions read from Redis, written through to the database: one query fewer on each
    # request of a logged-in person (make loadtest). Not with the per-process memory
    # cache, where a session ended in one gunicorn worker would live on in another.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
elif TESTING:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"},
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        },
        "pages": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "page-cache"),
            "OPTIONS": {"MAX_ENTRIES": env_int("PAGE_CACHE_MAX_ENTRIES", 5000, minimum=100)},
        },
    }
CACHES["counters"] = (
    {
        "BACKEND": "boite.lib.counters.RedisCounters",
        "LOCATION": COUNTERS_REDIS_URL,
        "KEY_PREFIX": "counters",
        "TIMEOUT": None,
    }
    if COUNTERS_REDIS_URL
    else _COUNTERS_IN_DATABASE
)

# Background jobs: Huey on SQLite under var/, or on Redis when REDIS_URL is set.
# Tests run tasks immediately, in the calling thread.
if REDIS_URL:
    HUEY = {"huey_class": "huey.RedisHuey", "name": "boite", "url": REDIS_URL}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "boite",
        "filename": str(touch_private(VAR_DIR / "huey.db")),
    }
HUEY["immediate"] = TESTING or env_bool("HUEY_IMMEDIATE", False)
HUEY["consumer"] = {"workers": env_int("HUEY_WORKERS", 2, minimum=1), "worker_type": "thread"}

# Languages: French first, English second.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# A form refused for its CSRF token gets a page in the portal's words (templates/403_csrf.html).
CSRF_FAILURE_VIEW = "boite.views.csrf_failure"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "La Boîte numérique <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: strict by default in production (BOITE_PRODUCTION=true behind HTTPS).
PRODUCTION = env_bool("BOITE_PRODUCTION", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = PRODUCTION and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # httpx logs every request URL at INFO, and some URLs carry secrets or personal
        # data (SUSHI API keys, ODL checkout parameters): keep them out of the logs.
        "httpx": {"level": "WARNING"},
        # Login failures and lockouts, rate limits, refused uploads and bodies.
        "boite.security": {"level": "INFO"},
    },
}

# -- uploads and request bodies (docs/deployment.md « Uploads and request bodies ») ------
# Public images (logos) are decoded and re-encoded by boite.lib.images within these limits.
IMAGE_MAX_BYTES = env_int("IMAGE_MAX_MB", 2, minimum=1) * 1024 * 1024
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_MEGAPIXELS", 16, minimum=1) * 1_000_000
# Images among staff files (pro attachments, scanned agreements) are decoded too, and
# those the professional space shows inline re-encoded: a photo or a 600 dpi scan fits.
UPLOAD_IMAGE_MAX_PIXELS = env_int("UPLOAD_IMAGE_MAX_MEGAPIXELS", 50, minimum=1) * 1_000_000
# Django's own bounds: form fields read into memory, files kept in memory before a
# temporary file, number of fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# boite.lib.security.RequestBodyLimitMiddleware refuses with 413, before reading it, a
# body larger than this (the largest upload, PRO_MAX_UPLOAD_MB, plus the form around it),
# and for a visitor who is not logged in (registration, login, password reset, contact)
# one larger than ANONYMOUS_BODY_MAX_KB.
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_MB", 32, minimum=1) * 1024 * 1024
ANONYMOUS_BODY_MAX_BYTES = env_int("ANONYMOUS_BODY_MAX_KB", 64, minimum=8) * 1024

# -- pro (professional space) ------------------------------------------------------------
# Files uploaded by staff live outside MEDIA_ROOT and are served only by boite.pro views.
PRO_FILES_ROOT = Path(env_str("PRO_FILES_ROOT", str(VAR_DIR / "pro-files")))
PRO_MAX_UPLOAD_BYTES = env_int("PRO_MAX_UPLOAD_MB", 20, minimum=1) * 1024 * 1024

# -- finance: signed agreements and meeting documents are private (served by a staff view);
# cost per use reads the year's usage counts from this function (boite.finance.usage).
FINANCE_DOCUMENTS_ROOT = Path(env_str("FINANCE_DOCUMENTS_ROOT", str(VAR_DIR / "private")))
FINANCE_USAGE_SOURCE = env_str("FINANCE_USAGE_SOURCE", "boite.stats.usage.yearly_usage")

# -- patrons (boite.patrons) ---------------------------------------------------------
# Patrons log in within their portal (e-mail + password, or card + PIN via SIP2);
# staff keep Django's backend for the back office.
AUTHENTICATION_BACKENDS = [
    "boite.patrons.backends.PatronBackend",
    "django.contrib.auth.backends.ModelBackend",
]
MIDDLEWARE += ["boite.patrons.middleware.SessionGenerationMiddleware"]
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600, minimum=300)
PASSWORD_RESET_TIMEOUT = 24 * 3600
PATRONS_LOGIN_FAILURES_PER_ACCOUNT = env_int("PATRONS_LOGIN_FAILURES_PER_ACCOUNT", 5, minimum=1)
PATRONS_LOGIN_FAILURES_PER_IP = env_int("PATRONS_LOGIN_FAILURES_PER_IP", 20, minimum=1)
PATRONS_LOGIN_LOCKOUT_SECONDS = env_int("PATRONS_LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
# The staff's login (/admin/login/) has the same limits, settings of its own
# (boite.lib.lockout: a lock per account and address, doubling with each failure).
STAFF_LOGIN_FAILURES_PER_ACCOUNT = env_int("STAFF_LOGIN_FAILURES_PER_ACCOUNT", 5, minimum=1)
STAFF_LOGIN_FAILURES_PER_IP = env_int("STAFF_LOGIN_FAILURES_PER_IP", 20, minimum=1)
STAFF_LOGIN_LOCKOUT_SECONDS = env_int("STAFF_LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
PATRONS_REGISTRATIONS_PER_IP_PER_HOUR = env_int(
    "PATRONS_REGISTRATIONS_PER_IP_PER_HOUR", 5, minimum=1
)
# SIP2 circuit breaker (boite.patrons.identity.sip2): after this many failures in a row,
# logins answer « service indisponible » at once for the cool-down, then one probes.
PATRONS_SIP2_BREAKER_FAILURES = env_int("PATRONS_SIP2_BREAKER_FAILURES", 3, minimum=1)
PATRONS_SIP2_BREAKER_COOLDOWN_SECONDS = env_int(
    "PATRONS_SIP2_BREAKER_COOLDOWN_SECONDS", 30, minimum=1
)
# -- access (issue « Direct access »): OpenID Connect provider ----------------------
# django-oauth-toolkit issues one client per OIDC connector; PKCE is required. The RSA
# key that signs ID tokens comes from OIDC_RSA_PRIVATE_KEY (PEM) in production — never
# from a file — and is generated once into var/ (0600) for a developer's checkout; with
# DEBUG off, `check --deploy` fails without it (boite.access.checks). In production
# without the key, OpenID Connect stays off (no discovery, OIDC connectors refused).
INSTALLED_APPS += ["oauth2_provider"]


def _oidc_rsa_private_key() -> str:
    key = env_str("OIDC_RSA_PRIVATE_KEY").replace("\\n", "\n")
    if key:
        return key
    if PRODUCTION:
        return ""
    path = VAR_DIR / "oidc_rsa_private_key.pem"
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        write_private(
            path,
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
    return path.read_text()


_OIDC_KEY = _oidc_rsa_private_key()
OIDC_KEY_FROM_ENVIRONMENT = bool(env_str("OIDC_RSA_PRIVATE_KEY"))
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": bool(_OIDC_KEY),
    "OIDC_RSA_PRIVATE_KEY": _OIDC_KEY,
    "PKCE_REQUIRED": True,
    "OAUTH2_VALIDATOR_CLASS": "boite.access.oidc_validator.ConnectorValidator",
    "SCOPES": {
        "openid": _("OpenID Connect identification"),
        "profile": _("Your name and library"),
        "email": _("Your e-mail address"),
    },
    "DEFAULT_SCOPES": ["openid"],
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 600,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"] if PRODUCTION else ["http", "https"],
    # Clients come from connectors only: no self-registration of any kind.
    "DCR_ENABLED": False,
    "CIMD_ENABLED": False,
    # OAuth 2.0 Security BCP (RFC 9700): no implicit or password grant, S256 only, tokens
    # never in URLs and hashed at rest, `iss` in responses, refresh replay detection.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # An ID token says who logged in, once: an hour at most (the toolkit's default is 10 h).
    "ID_TOKEN_EXPIRE_SECONDS": env_int("OIDC_ID_TOKEN_EXPIRE_SECONDS", 3600, minimum=60),
    # RP-initiated logout (end_session_endpoint): only to a registered redirect URI.
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
}
if OAUTH2_PROVIDER["ID_TOKEN_EXPIRE_SECONDS"] > 3600:
    raise ImproperlyConfigured("OIDC_ID_TOKEN_EXPIRE_SECONDS must be 3600 (one hour) or less.")
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"  # noqa: S105 (a model name)

# -- lending (PNB licences) ---------------------------------------------------------------
# Offer files (Dilicom ONIX, ODL feeds) dropped in <inbox>/<distributor account id>/ are
# applied by the sync job; LENDING_SYNC_MINUTES is how often it runs.
LENDING_OFFERS_INBOX = Path(env_str("LENDING_OFFERS_INBOX", str(VAR_DIR / "lending" / "inbox")))
LENDING_SYNC_MINUTES = env_int("LENDING_SYNC_MINUTES", 30, minimum=5)
# An ODL account's feed (its address) is harvested by the sync at most this often.
LENDING_FEED_HOURS = env_int("LENDING_FEED_HOURS", 24, minimum=1)

# -- Statistics (boite.stats) ---------------------------------------------------------
# Key of the patron pseudonyms in the events (a keyed hash); SECRET_KEY when empty.
# Changing it splits every patron's history in two: set it once.
STATS_PSEUDONYM_KEY = env_str("STATS_PSEUDONYM_KEY")
# Figures about fewer patrons than this are shown as « < 5 » in exports.
STATS_SMALL_FIGURE = env_int("STATS_SMALL_FIGURE", 5, minimum=1)

# -- catalog: the search index (derived from the database, rebuilt by `manage.py reindex`)
CATALOG_SEARCH_BACKEND = env_str("CATALOG_SEARCH_BACKEND", "tantivy")
CATALOG_INDEX_DIR = Path(env_str("CATALOG_INDEX_DIR", str(VAR_DIR / "search" / "catalog")))
# Harvest sources other than an http(s) address: files uploaded with a resource (private
# storage, CATALOG_MAX_UPLOAD_MB at most), and files a superuser picks from the drop
# directory the server's operator fills (CATALOG_DROP_DIR; unset: the choice is off).
# Never point CATALOG_DROP_DIR at var/ or above it: what is in it can be published.
CATALOG_FILES_ROOT = Path(env_str("CATALOG_FILES_ROOT", str(VAR_DIR / "catalog-files")))
CATALOG_MAX_UPLOAD_BYTES = env_int("CATALOG_MAX_UPLOAD_MB", 500, minimum=1) * 1024 * 1024
CATALOG_DROP_DIR = Path(env_str("CATALOG_DROP_DIR")) if env_str("CATALOG_DROP_DIR") else None

# -- quality (issue 10): knobs the fault drills of `make faults` turn -------------------
# Seconds between two signs of life of a long job (boite.lib.heartbeat): a harvest run
# « running » without one for ten times this long is marked interrupted.
JOBS_HEARTBEAT_SECONDS = env_int("JOBS_HEARTBEAT_SECONDS", 30, minimum=1)
# Retries of an e-mail the SMTP server did not take (boite.lib.mail): seconds to wait
# before each retry, in turn, the last one repeated until MAIL_GIVE_UP_AFTER_SECONDS
# have passed since the first attempt; then the message is kept as an UndeliveredMail.
# Defaults: 1, 2, 5, 10, 30 minutes, then every hour for two days (53 retries).
MAIL_RETRY_DELAYS = env_int_list("MAIL_RETRY_DELAYS", [60, 120, 300, 600, 1800, 3600], minimum=1)
MAIL_GIVE_UP_AFTER_SECONDS = env_int("MAIL_GIVE_UP_AFTER_SECONDS", 2 * 24 * 3600, minimum=0)
# Password-reset e-mails asked from one address per hour (boite.patrons.views).
PATRONS_PASSWORD_RESETS_PER_IP_PER_HOUR = env_int(
    "PATRONS_PASSWORD_RESETS_PER_IP_PER_HOUR", 10, minimum=1
)
# JSON API (boite/api.py): requests per client, as django-ninja rates ("120/m").
API_RATE_ANONYMOUS = env_str("API_RATE_ANONYMOUS", "120/m")
API_RATE_AUTHENTICATED = env_str("API_RATE_AUTHENTICATED", "600/m")
# Reverse proxies in front of gunicorn that append the address they received from to
# X-Forwarded-For (boite.lib.security.client_address): 0 = none, the peer is the visitor.
# The rate limits count per visitor's address; beyond these proxies the header is a
# visitor's own writing and is ignored.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0, minimum=0)
# Seconds a public page is kept for visitors who are not logged in (boite.lib.pagecache);
# 0 turns it off. Off in the tests, which change data and read pages again at once.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 0 if TESTING else 60, minimum=0)

# What the server fetches from addresses staff type (boite.lib.outbound): internal
# addresses are refused unless inside one of these networks (CIDR, comma-separated).
# The tests' fake providers listen on 127.0.0.1, hence the tests' default.
OUTBOUND_ALLOWED_NETWORKS = env_networks(
    "OUTBOUND_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"] if TESTING else []
)
OUTBOUND_MAX_REDIRECTS = env_int("OUTBOUND_MAX_REDIRECTS", 5, minimum=0)
# Harvest files (a publisher's whole ONIX catalogue reaches 2 GB) and their time.
OUTBOUND_FILE_MAX_BYTES = env_int("OUTBOUND_FILE_MAX_MB", 4096, minimum=1) * 1024 * 1024
OUTBOUND_FILE_MAX_SECONDS = env_int("OUTBOUND_FILE_MAX_SECONDS", 3 * 3600, minimum=1)
# API answers and feed pages (OAI-PMH, OPDS, JSON, distributors, SUSHI reports).
OUTBOUND_API_MAX_BYTES = env_int("OUTBOUND_API_MAX_MB", 200, minimum=1) * 1024 * 1024
OUTBOUND_API_MAX_SECONDS = env_int("OUTBOUND_API_MAX_SECONDS", 600, minimum=1)

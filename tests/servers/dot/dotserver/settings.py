"""Settings of the test server: django-oauth-toolkit with OpenID Connect, set strict.

Everything that varies per run comes from the environment, set by serve.py before Django
starts: DOT_BASE_URL (http://127.0.0.1:PORT), DOT_DB (an SQLite file in a temporary
directory), DOT_RSA_KEY (the PEM of the ID token signing key, made per run).
"""

import os

BASE_URL = os.environ["DOT_BASE_URL"]

SECRET_KEY = os.urandom(32).hex()
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "dotserver.urls"
USE_TZ = True

INSTALLED_APPS = [
    "dotserver",  # first: its templates replace the toolkit's
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["DOT_DB"]}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/accounts/login/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; test accounts only

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": os.environ["DOT_RSA_KEY"],
    "SCOPES": {"openid": "OpenID Connect", "profile": "Profile", "read": "Read", "write": "Write"},
    "DEFAULT_SCOPES": ["read"],
    # Strict: PKCE with S256 only, iss in the authorization response (RFC 9207), refresh tokens
    # rotated on every use and a reused one revokes the family, exact redirect URIs (the
    # RFC 8252 §7.3 port exemption for 127.0.0.1 and [::1] is DOT's, and not for localhost).
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOW_URI_WILDCARDS": False,
    "ALLOW_LOCALHOST_LOOPBACK": False,
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("DOT_ACCESS_TOKEN_TTL", "300")),
    "ID_TOKEN_EXPIRE_SECONDS": 300,
    "OAUTH_DEVICE_VERIFICATION_URI": BASE_URL + "/o/device/",
    "OAUTH_DEVICE_VERIFICATION_URI_COMPLETE": BASE_URL + "/o/device/?user_code={user_code}",
    "DEVICE_FLOW_INTERVAL": 1,
}

# Server errors go to stderr (the test shows them), nothing else is logged.
LOGGING = {
    "version": 1,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
}

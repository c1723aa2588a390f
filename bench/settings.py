"""Settings for benchmark processes: the app's settings, on the bench database and schema.

One PostgreSQL database (BENCH_DATABASE_URL, default illdesk_bench) holds one schema per data set
size (BENCH_SCHEMA, e.g. n1000000), so each size is built once and kept. pg_trgm lives in schema
`bench_ext`, which holds nothing else: the search path is `<size schema>, bench_ext`, so no schema ever
sees another one's tables (Django's migration recorder would take them for its own).
The URLconf adds the bench-only admin site (the baseline) next to the app's own URLs.
"""

import os

import dj_database_url

from illdesk.settings import *  # noqa: F403
from illdesk.settings import LOGGING

BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/illdesk_bench")
BENCH_SCHEMA = os.environ.get("BENCH_SCHEMA", "public")

DATABASES = {"default": dj_database_url.parse(BENCH_DATABASE_URL, conn_max_age=600)}
DATABASES["default"]["OPTIONS"] = {"options": f"-c search_path={BENCH_SCHEMA},bench_ext"}
DATABASES["default"]["TEST"] = {"NAME": None}
ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["*"]
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "ERROR"},
           "loggers": {"illdesk": {"level": "ERROR"}, "django": {"level": "ERROR"}}}

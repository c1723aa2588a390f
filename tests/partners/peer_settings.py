"""Settings for one illdesk instance of the two-instance ISO 18626 test (tests/partners/test_two_instances.py).

The normal settings, plus: its own database (ILLDESK_PEER_DATABASE_URL), its own Celery queue
(ILLDESK_PEER_QUEUE, so that instances sharing one Redis never run each other's tasks), and a URLconf
with the test driver added. Never used outside that test.
"""

import os

import dj_database_url

from illdesk.settings import *  # noqa: F403
from illdesk.settings import DATABASES

DATABASES["default"] = dj_database_url.parse(os.environ["ILLDESK_PEER_DATABASE_URL"], conn_max_age=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"timeout": 30}
ROOT_URLCONF = "tests.partners.peer_urls"
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("ILLDESK_PEER_QUEUE", "celery")
MEDIA_ROOT = os.environ.get("ILLDESK_PEER_MEDIA_ROOT", "/tmp/illdesk-peer-media")
ILLDESK_ISO_RETRY_BASE_SECONDS = 1
ILLDESK_ISO_TIMEOUT_SECONDS = 10
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

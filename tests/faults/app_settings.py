"""Settings of the web servers and workers the fault tests start: the project's own, with a queue of
the test's own (parallel runs never take each other's tasks) and the delivery timings shortened so a
retry, a backoff or an expired claim happens within seconds."""

import os

from django.conf import global_settings
from django.core.signals import request_started

from illdesk.settings import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["ILLDESK_TEST_QUEUE"]

for _name in ("ILLDESK_ISO_TIMEOUT_SECONDS", "ILLDESK_ISO_RETRY_BASE_SECONDS", "ILLDESK_ISO_MAX_ATTEMPTS",
              "ILLDESK_ISO_SWEEP_GRACE_SECONDS", "ILLDESK_ISO_CLAIM_SECONDS"):
    if _name in os.environ:
        globals()[_name] = int(os.environ[_name])

# Users made by the test process have MD5 hashes (tests/conftest.py makes hashing fast).
PASSWORD_HASHERS = [*global_settings.PASSWORD_HASHERS, "django.contrib.auth.hashers.MD5PasswordHasher"]


def _forget_content_types(**_kwargs) -> None:
    """pytest flushes its database between tests and content types come back with new ids; a web
    server that lives through several tests must not answer from the ids it cached before."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


request_started.connect(_forget_content_types, dispatch_uid="faults_forget_content_types")

"""Settings for the Celery worker the end-to-end test starts: the project's settings, with a queue of
the test's own so parallel test runs and other workers never take each other's tasks."""

import os

from illdesk.settings import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["ILLDESK_TEST_QUEUE"]

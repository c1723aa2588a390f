"""Logging filters. A refused request (403, 404, 400) is the visitor's mistake or a role the account lacks,
not a fault: Django logs it with the exception's traceback, which an admin reading the log takes for a crash.
Here it becomes one line with the reason; server errors (5xx) keep their traceback."""

import logging


class OneLineClientErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if record.exc_info and status is not None and 400 <= status < 500:
            reason = str(record.exc_info[1] or "").strip()
            message = record.getMessage()
            record.msg = f"{message} ({reason})" if reason and reason not in message else message
            record.args = ()
            record.exc_info = record.exc_text = None
        return True

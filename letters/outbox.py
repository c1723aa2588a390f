"""Sending letters: render, write the outbox row and a history row in the caller's transaction,
deliver after commit through Django's mail API, retry with backoff, and sweep what was left behind.

Delivery is at-least-once: a row is claimed with a conditional UPDATE (so two workers never send the
same letter at once) and the claim expires, so a worker that died mid-send is covered by the sweeper.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import catalog, rendering
from .models import SentLetter, SentLetterAttachment
from .recipients import clean_addresses

log = logging.getLogger("illdesk.letters")

BACKOFF_SECONDS = (60, 300, 900, 3600, 3 * 3600)
CLAIM_SECONDS = 300


def max_attempts() -> int:
    return int(getattr(settings, "ILLDESK_LETTER_MAX_ATTEMPTS", 6))


def backoff(attempts: int) -> int:
    return BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1]


# --- writing the outbox row ----------------------------------------------------------------------


def _history(req, *, by, code: str, to: list[str], subject: str, failed: str = "") -> None:
    from illdesk.models import HistoryEvent
    from illdesk.workflow import record

    spec = catalog.get(code)
    kind = HistoryEvent.Kind.PARTNER_DATA if spec.audience == catalog.PARTNER else HistoryEvent.Kind.ACTION
    new = f"{spec.name} → {', '.join(to) or '—'}"
    if failed:
        new = f"{new} ({_('not sent')})"
    record(req, by=by, kind=kind, field=_("Letter"), new=new, message=failed or subject)


def queue(code: str, *, request=None, to: Iterable[str], language: str, rendered: rendering.Rendered, by=None,
          attachments: Iterable[tuple[str, bytes, str]] = (), resent_from: SentLetter | None = None) -> SentLetter:
    """Write the outbox row (+ history) now; deliver after the surrounding transaction commits."""
    catalog.get(code)
    to = clean_addresses(to)
    library = getattr(request, "owner", None) if request is not None else None
    audience = catalog.get(code).audience
    with transaction.atomic():
        letter = SentLetter(
            code=code, language=language, to=to, subject=rendered.subject, body_text=rendered.text,
            body_html=rendered.html, from_email=settings.DEFAULT_FROM_EMAIL,
            reply_to=library.email if library is not None and library.email and audience != catalog.STAFF else "",
            sent_by=by if getattr(by, "is_authenticated", False) else None, resent_from=resent_from,
        )
        if request is not None:
            letter.content_type = ContentType.objects.get_for_model(type(request))
            letter.object_id = request.pk
        if not to:
            letter.state = SentLetter.State.FAILED
            letter.last_error = _("No email address to send to.")
        letter.save()
        for filename, content, mimetype in attachments:
            SentLetterAttachment.objects.create(letter=letter, filename=filename, content=content, mimetype=mimetype)
        if request is not None:
            _history(request, by=by, code=code, to=to, subject=letter.subject, failed=letter.last_error)
        if letter.state == SentLetter.State.QUEUED:
            transaction.on_commit(partial(enqueue, letter.pk))
    return letter


def send_letter(code: str, *, request=None, to: Iterable[str], language: str | None = None,
                context: dict | None = None, by=None, attachments: Iterable[tuple[str, bytes, str]] = (),
                partner=None) -> SentLetter:
    spec = catalog.get(code)
    if spec.kind != catalog.EMAIL:
        raise ValueError(f"{code!r} is a slip; print it with render_pdf")
    rendered, used = rendering.render_for(code, request, language=language, extra=context, by=by, partner=partner)
    return queue(code, request=request, to=to, language=used, rendered=rendered, by=by,
                 attachments=attachments)


def resend(letter: SentLetter, *, by=None, to: Iterable[str] | None = None) -> SentLetter:
    """The same letter again, as a new outbox row (the old one keeps its own record)."""
    attachments = [(a.filename, bytes(a.content), a.mimetype) for a in letter.attachments.all()]
    rendered = rendering.Rendered(letter.subject, letter.body_text, letter.body_html)
    return queue(letter.code, request=letter.request, to=to if to is not None else letter.to,
                 language=letter.language, rendered=rendered, by=by, attachments=attachments, resent_from=letter)


def retry_now(letter: SentLetter) -> None:
    """Make a waiting letter due at once and hand it to a worker (the operator's "Retry now")."""
    SentLetter.objects.filter(pk=letter.pk, state=SentLetter.State.RETRYING).update(
        next_attempt_at=timezone.now(), claimed_until=None)
    transaction.on_commit(partial(enqueue, letter.pk))


# --- delivering ----------------------------------------------------------------------------------


def _eager() -> bool:
    from .tasks import deliver_letter

    return bool(deliver_letter.app.conf.task_always_eager)


def enqueue(letter_id: int) -> None:
    """Hand the letter to Celery; if the broker is down the row stays queued for the sweeper."""
    from .tasks import deliver_letter

    try:
        deliver_letter.delay(letter_id)
    except Exception:  # noqa: BLE001 - a broker outage must not break the action that sent the letter
        log.warning("letter %s: could not queue delivery; the sweeper will send it", letter_id, exc_info=True)


def _claim(letter_id: int) -> bool:
    now = timezone.now()
    return bool(
        SentLetter.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            pk=letter_id, state__in=[SentLetter.State.QUEUED, SentLetter.State.RETRYING],
            next_attempt_at__lte=now + timedelta(seconds=5),
        ).update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    )


def _message(letter: SentLetter) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=letter.subject, body=letter.body_text, from_email=letter.from_email or settings.DEFAULT_FROM_EMAIL,
        to=list(letter.to), reply_to=[letter.reply_to] if letter.reply_to else None,
        headers={"X-Illdesk-Letter": letter.code, "X-Illdesk-Letter-Id": str(letter.pk)},
    )
    if letter.body_html:
        message.attach_alternative(letter.body_html, "text/html")
    for attachment in letter.attachments.all():
        message.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    return message


def is_permanent(exc: BaseException) -> bool:
    """5xx answers (and errors that are not about the connection) will not get better by waiting."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return not isinstance(exc, smtplib.SMTPException | OSError)


def deliver(letter_id: int) -> str:
    """One delivery attempt. Returns the letter's state afterwards ("skipped" when not ours to send)."""
    if not _claim(letter_id):
        return "skipped"
    letter = SentLetter.objects.get(pk=letter_id)
    letter.attempts += 1
    try:
        _message(letter).send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the letter
        return _failed(letter, exc)
    letter.state = SentLetter.State.SENT
    letter.sent_at = timezone.now()
    letter.last_error = ""
    letter.claimed_until = None
    letter.save(update_fields=["state", "sent_at", "attempts", "last_error", "claimed_until"])
    return letter.state


def _failed(letter: SentLetter, exc: BaseException) -> str:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    log.warning("letter %s (%s) attempt %s failed: %s", letter.pk, letter.code, letter.attempts, error)
    letter.last_error = error
    letter.claimed_until = None
    if is_permanent(exc) or letter.attempts >= max_attempts():
        letter.state = SentLetter.State.FAILED
    else:
        letter.state = SentLetter.State.RETRYING
        letter.next_attempt_at = timezone.now() + timedelta(seconds=backoff(letter.attempts))
    letter.save(update_fields=["state", "attempts", "last_error", "claimed_until", "next_attempt_at"])
    if letter.state == SentLetter.State.FAILED:
        _record_failure(letter)
    elif not _eager():
        # In-process (eager) Celery would run a countdown task at once; there the sweeper or the
        # operator's "Retry now" picks the letter up.
        from .tasks import deliver_letter

        try:
            deliver_letter.apply_async((letter.pk,), countdown=backoff(letter.attempts))
        except Exception:  # noqa: BLE001
            log.warning("letter %s: could not schedule the retry; the sweeper will", letter.pk, exc_info=True)
    return letter.state


def _record_failure(letter: SentLetter) -> None:
    """A letter that will not go out is an alert on its request, so staff see it in the task list."""
    from illdesk.models import Alert

    req = letter.request
    if req is None:
        return
    text = _("Letter “%(name)s” to %(to)s could not be sent: %(error)s") % {
        "name": letter.name, "to": ", ".join(letter.to), "error": letter.last_error}
    with transaction.atomic():
        Alert.objects.create(content_type=letter.content_type, object_id=letter.object_id, text=text[:300])
        if any(f.name == "has_alerts" for f in type(req)._meta.get_fields()):
            type(req).objects.filter(pk=req.pk).update(has_alerts=True)
        _history(req, by=None, code=letter.code, to=letter.to, subject=letter.subject, failed=letter.last_error)


def due_letters(limit: int = 500) -> list[int]:
    now = timezone.now()
    return list(
        SentLetter.objects.filter(state__in=[SentLetter.State.QUEUED, SentLetter.State.RETRYING],
                                  next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )


def sweep(limit: int = 500) -> int:
    """Re-enqueue every due queued/retrying letter (after a broker outage, a crash, a countdown lost)."""
    ids = due_letters(limit)
    for pk in ids:
        enqueue(pk)
    return len(ids)

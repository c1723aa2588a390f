"""Email threads with partners and queries to patrons (seed 000 "Communicate with partners",
"Send query to patron"). Letters go out through the letters app; each thread is kept on the request."""

from django.db import transaction
from django.utils.translation import gettext as _

from illdesk.models import HistoryEvent
from illdesk.workflow import ActionRefused, lock, record

from .actions import letter_to_patron
from .models import BorrowingRequest, Communication, CommunicationEntry, PatronQueryTemplate


def default_body(req: BorrowingRequest) -> str:
    lines = [
        _("External identifier: %(id)s") % {"id": req.external_id or req.pk},
        _("Title: %(t)s") % {"t": req.title},
    ]
    if req.author:
        lines.append(_("by: %(a)s") % {"a": req.author})
    if req.issn:
        lines.append(f"ISSN: {req.issn}")
    if req.isbn:
        lines.append(f"ISBN: {req.isbn}")
    return "\n".join(lines) + "\n\n"


def _send(comm: Communication, body: str, *, by) -> None:
    from letters.api import send_letter

    partner = comm.partner
    send_letter("partner_communication", request=comm.request, to=[comm.to],
                language=partner.language if partner else None,
                context={"subject": comm.subject, "body": body}, by=by)


def _refresh_indicator(req: BorrowingRequest) -> None:
    open_now = req.communications.filter(is_open=True).exists()
    BorrowingRequest.objects.filter(pk=req.pk).update(has_open_communication=open_now)


def start(req: BorrowingRequest, *, by, to: str, subject: str, body: str) -> Communication:
    with transaction.atomic():
        req = lock(req)
        comm = Communication.objects.create(request=req, partner=req.partner, to=to, subject=subject,
                                            created_by=by)
        CommunicationEntry.objects.create(communication=comm, direction=CommunicationEntry.Direction.SENT,
                                          body=body, author=by)
        _send(comm, body, by=by)
        record(req, by=by, kind=HistoryEvent.Kind.PARTNER_DATA, field=_("Communication"), new=subject,
               message=_("Email to %(to)s") % {"to": to})
        _refresh_indicator(req)
    return comm


def reply(comm: Communication, *, by, body: str) -> CommunicationEntry:
    """Send another email in the thread."""
    if not comm.is_open:
        raise ActionRefused(_("This communication is closed."))
    with transaction.atomic():
        entry = CommunicationEntry.objects.create(communication=comm, direction=CommunicationEntry.Direction.SENT,
                                                  body=body, author=by)
        _send(comm, body, by=by)
    return entry


def add_partner_reply(comm: Communication, *, by, body: str) -> CommunicationEntry:
    """Paste the partner's answer into the thread."""
    with transaction.atomic():
        entry = CommunicationEntry.objects.create(communication=comm, direction=CommunicationEntry.Direction.REPLY,
                                                  body=body, author=by)
        record(comm.request, by=by, kind=HistoryEvent.Kind.PARTNER_DATA, field=_("Communication"),
               new=_("Reply added to “%(s)s”") % {"s": comm.subject})
    return entry


def close(comm: Communication, *, by) -> None:
    with transaction.atomic():
        Communication.objects.filter(pk=comm.pk).update(is_open=False)
        _refresh_indicator(comm.request)
        record(comm.request, by=by, kind=HistoryEvent.Kind.PARTNER_DATA, field=_("Communication"),
               new=_("Closed “%(s)s”") % {"s": comm.subject})


def query_templates():
    return PatronQueryTemplate.objects.filter(active=True)


def render_query(template: PatronQueryTemplate, req: BorrowingRequest) -> tuple[str, str]:
    values = {"title": req.title, "id": req.external_id or req.pk}
    try:
        return template.subject.format(**values), template.body.format(**values)
    except (KeyError, IndexError, ValueError):
        return template.subject, template.body


def send_query_to_patron(req: BorrowingRequest, *, by, template: PatronQueryTemplate, subject: str = "",
                         body: str = "", note: str = "") -> None:
    default_subject, default_body_text = render_query(template, req)
    with transaction.atomic():
        letter_to_patron(req, "query_to_patron", by=by, context={
            "query_subject": subject or default_subject,
            "query_body": body or default_body_text,
            "note": note,
        })
        record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Query to patron"), new=template.name,
               message=note)


def resend_patron_email(req: BorrowingRequest, *, by) -> None:
    with transaction.atomic():
        letter_to_patron(req, "patron_ready_for_pickup", by=by, context={"digital": True, "resent": True})
        record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Patron email"), new=_("Sent again"))

"""Assign / release (SPEC §8): operators take unassigned tasks and pass on their own; managers any."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from .models import HistoryEvent, Note
from .notes import add_note
from .roles import MANAGER, OPERATOR, is_manager, is_operator
from .workflow import ActionRefused, lock, record


def assignable_users():
    """Only users with the operator role (managers included) can be assigned."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[OPERATOR, MANAGER])
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def can_assign(obj, user) -> bool:
    if is_manager(user):
        return True
    return is_operator(user) and (obj.assignee_id is None or obj.assignee_id == user.pk)


def can_release(obj, user) -> bool:
    return obj.assignee_id is not None and (is_manager(user) or obj.assignee_id == user.pk)


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def assign(obj, *, to, by, note: str = "", send_email: bool = False):
    if len(note) > 1000:
        raise ActionRefused(_("The note can be at most 1000 characters."), status=400)
    if not assignable_users().filter(pk=to.pk).exists():
        raise ActionRefused(_("%(user)s does not have the operator role.") % {"user": _name(to)}, status=400)
    with transaction.atomic():
        current = lock(obj)
        if not can_assign(current, by):
            raise ActionRefused(_("Only a manager can reassign a task that belongs to someone else."), status=403)
        old = current.assignee
        if old is not None and old.pk == to.pk:
            return current
        current.assignee = to
        current.save(update_fields=["assignee"])
        record(current, by=by, kind=HistoryEvent.Kind.ASSIGNMENT, field=_("Assignee"), old=_name(old),
               new=_name(to), message=note)
        add_note(current, Note.Kind.INTERNAL, note, by=by)
        if send_email and to.email:
            subject = _("illdesk: request %(pk)s assigned to you") % {"pk": current.pk}
            body = _("%(by)s assigned request %(pk)s (%(title)s) to you.") % {
                "by": _name(by), "pk": current.pk, "title": current.title}
            if note:
                body += "\n\n" + note
            recipient = to.email
            transaction.on_commit(
                lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient], fail_silently=False)
            )
    return current


def release(obj, *, by):
    with transaction.atomic():
        current = lock(obj)
        if not can_release(current, by):
            raise ActionRefused(_("You can release only your own tasks."), status=403)
        old = current.assignee
        current.assignee = None
        current.save(update_fields=["assignee"])
        record(current, by=by, kind=HistoryEvent.Kind.ASSIGNMENT, field=_("Assignee"), old=_name(old), new="")
    return current

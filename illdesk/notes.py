"""Notes on a request, shared by every workflow: the length rule and the flags the facets count."""

from django.utils.translation import gettext as _

from .models import Note
from .workflow import ActionRefused, refuse_nul

NOTE_LIMIT = 1000


def check_len(text: str, limit: int = NOTE_LIMIT) -> None:
    if len(text or "") > limit:
        raise ActionRefused(_("A note can be at most %(n)d characters.") % {"n": limit}, status=400)


def add_note(req, kind: str, text: str, *, by) -> None:
    """Add a note (nothing for an empty text) and keep the request's note flags in step."""
    text = (text or "").strip()
    if not text:
        return
    refuse_nul(text)
    Note.objects.create(request=req, kind=kind, text=text,
                        author=by if getattr(by, "is_authenticated", False) else None)
    flags = {"has_active_note": True}
    if kind == Note.Kind.FROM_PARTNER:
        flags["has_partner_note"] = True
    type(req).objects.filter(pk=req.pk).update(**flags)

"""Row actions that need input: a form shown in a dialog, and the action it runs.

A `Dialog` either backs a state-machine transition (shown when the transition is available) or is an
extra action with its own availability rule (assign, release, edit shipping cost …).
"""

from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import assignment


@dataclass(frozen=True)
class Dialog:
    name: str
    label: str
    form_class: type[forms.Form] | None
    run: Callable  # run(obj, form_or_None, user) -> message shown afterwards
    available: Callable | None = None  # extra actions only: available(obj, user) -> bool
    confirm: str = ""  # text of a confirmation-only dialog


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, label=_("Assign to"))
    send_email = forms.BooleanField(required=False, label=_("Send as email"))
    note = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                           label=_("Note"))

    def __init__(self, *args, obj=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignment.assignable_users()
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.username
        if user is not None and not assignment.can_assign(obj, user):
            self.fields["assignee"].queryset = self.fields["assignee"].queryset.none()
        elif user is not None and obj is not None and obj.assignee_id is None:
            self.fields["assignee"].initial = user.pk


def _assign(obj, form, user) -> str:
    data = form.cleaned_data
    assignment.assign(obj, to=data["assignee"], by=user, note=data["note"], send_email=data["send_email"])
    return _("Assigned to %(name)s.") % {"name": data["assignee"].get_full_name() or data["assignee"].username}


def _release(obj, form, user) -> str:
    assignment.release(obj, by=user)
    return _("The task is unassigned now.")


ASSIGN = Dialog("assign", _("Assign to"), AssignForm, _assign, available=assignment.can_assign)
RELEASE = Dialog("release", _("Release"), None, _release, available=assignment.can_release,
                 confirm=_("Release this task so that it is unassigned?"))
COMMON = [ASSIGN, RELEASE]


# --- answers shared by every row of a page ------------------------------------------------------------

_page_memo: ContextVar[dict | None] = ContextVar("illdesk_dialog_page_memo", default=None)


@contextmanager
def one_answer_per_page():
    """While a page lists many requests, an availability rule that needs a fact not about the row
    (are there any patron query templates?) looks it up once (`per_page`), not once per row."""
    token = _page_memo.set({})
    try:
        yield
    finally:
        _page_memo.reset(token)


def per_page(key: str, compute: Callable[[], Any]) -> Any:
    """`compute()`, once per `one_answer_per_page()` block (every time outside one)."""
    memo = _page_memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]

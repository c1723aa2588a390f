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
    """A dialog with a form runs `form.save(by=user)`: the form owns its effect (it calls the side's action
    and returns the sentence shown afterwards), as Django's PasswordResetForm.save sends its mail. A
    confirm-only dialog (no form) names the `run(obj, None, user)` it confirms; a row action that is a page
    of its own (Side.pages) needs neither."""

    name: str
    label: str
    form_class: type[forms.Form] | None
    run: Callable | None = None  # confirm-only dialogs: run(obj, None, user) -> message
    available: Callable | None = None  # extra actions only: available(obj, user) -> bool
    confirm: str = ""  # text of a confirmation-only dialog

    def perform(self, obj, form, user) -> str:
        if self.run is not None:
            return self.run(obj, form, user)
        return form.save(by=user)


class DialogForm(forms.Form):
    """The form of a dialog: it knows the request and the user it was made for; `save(by=)` does the
    action and returns what to tell the user."""

    def __init__(self, *args, obj=None, user=None, **kwargs):
        self.obj, self.user = obj, user
        super().__init__(*args, **kwargs)

    def save(self, *, by) -> str:
        raise NotImplementedError(f"{type(self).__name__} does not say what it does")


class AssignForm(DialogForm):
    assignee = forms.ModelChoiceField(queryset=None, label=_("Assign to"))
    send_email = forms.BooleanField(required=False, label=_("Send as email"))
    note = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                           label=_("Note"))

    def __init__(self, *args, obj=None, user=None, **kwargs):
        super().__init__(*args, obj=obj, user=user, **kwargs)
        self.fields["assignee"].queryset = assignment.assignable_users()
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.username
        if user is not None and not assignment.can_assign(obj, user):
            self.fields["assignee"].queryset = self.fields["assignee"].queryset.none()
        elif user is not None and obj is not None and obj.assignee_id is None:
            self.fields["assignee"].initial = user.pk

    def save(self, *, by) -> str:
        data = self.cleaned_data
        assignment.assign(self.obj, to=data["assignee"], by=by, note=data["note"], send_email=data["send_email"])
        return _("Assigned to %(name)s.") % {"name": data["assignee"].get_full_name() or data["assignee"].username}


def _release(obj, form, user) -> str:
    assignment.release(obj, by=user)
    return _("The task is unassigned now.")


ASSIGN = Dialog("assign", _("Assign to"), AssignForm, available=assignment.can_assign)
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

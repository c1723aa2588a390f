"""The step language of the ISO 18626 tables, and the interpreter that runs it on a request.

The tables themselves sit beside each side's state machine (borrowing/iso.py, lending/iso.py); this
module knows no side. A rule lists steps; the first one that applies to the request as it is now runs:

    Noop(statuses)            the request already is where the message would take it: answer OK
    T(name, **args)           run transition `name` (through the side's action wrapper) when the state
                              machine allows it now; "$due_date", "$resume_status", … are filled from
                              the message ("$name!": required, the step is skipped without it)
    Call(action, guard=t, …)  run a side's action (a callable) when transition `t` is possible now
    Message()                 a general message from the partner (active-message flag set)
    StatusNote()              the partner's status recorded as a note, nothing else changes
    Note(text)                a history row only
    Reply(event, when=…)      answer the partner with one of our own events (outbox)
    Error(type, text)         answer ERROR with that errorType
When no step applies the answer is ERROR UnrecognisedDataValue, saying which status stopped it.
A side's handler raises Refused (-> an ERROR confirmation); inbound runs it inside one transaction,
so a refused message changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from illdesk import sides
from illdesk.models import GeneralMessage, HistoryEvent
from illdesk.models import Note as RequestNote  # `Note` is the step
from illdesk.notes import NOTE_LIMIT
from illdesk.workflow import ActionRefused, record, status_label

from ..iso18626.messages import ErrorType
from ..notify import notify_partner

# --- steps ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    kind: str
    name: str = ""
    statuses: frozenset[str] = frozenset()
    args: tuple[tuple[str, Any], ...] = ()
    error_type: str = ""
    action: Callable[..., Any] | None = None  # Call: the side's action
    says: str = ""  # Call: what happened, for the log ("{arg}" filled from the step's arguments)

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.args)


def Noop(*statuses: str) -> Step:  # noqa: N802 - reads as data
    return Step("noop", statuses=frozenset(str(s) for s in statuses))


def T(name: str, **args: Any) -> Step:  # noqa: N802
    return Step("transition", name, args=tuple(args.items()))


def Message() -> Step:  # noqa: N802
    return Step("message")


def StatusNote() -> Step:  # noqa: N802
    return Step("status_note")


def Note(text: str) -> Step:  # noqa: N802
    return Step("note", text)


def Call(action: Callable[..., Any], *, guard: str, says: str = "", **args: Any) -> Step:  # noqa: N802
    """`action(req, by=None, note=…, **args)`; a real callable, so "find usages" sees the table's use of it."""
    return Step("call", action.__name__, args=(("guard", guard), *args.items()), action=action,
                says=says or action.__name__)


def Reply(event: str, *, when: tuple[str, ...] | list[str] = (), **details: Any) -> Step:  # noqa: N802
    return Step("reply", event, statuses=frozenset(str(s) for s in when), args=tuple(details.items()))


def Error(error_type: ErrorType, text: str) -> Step:  # noqa: N802
    return Step("error", text, error_type=str(error_type))


@dataclass(frozen=True)
class Rule:
    steps: tuple[Step, ...]
    label: str
    # Also take the message's statusInfo/status into account afterwards (a RenewResponse "N"
    # that comes with status Recalled is a refusal *and* a recall).
    then_status: bool = False
    # Loaned carries the due date in statusInfo/dueDate; partner_shipped_physically has no
    # argument for it, so it is set as a plain field change afterwards.
    set_due_date: bool = False
    extra: dict = field(default_factory=dict)


# --- outcomes ------------------------------------------------------------------------------------


class Refused(Exception):
    """The message cannot be applied: answer ERROR with this errorType and errorValue."""

    def __init__(self, error_type: ErrorType | str, error_value: str, request: Any = None) -> None:
        super().__init__(f"{error_type}: {error_value}")
        self.error_type = ErrorType(error_type)
        self.error_value = error_value
        self.request = request  # the request it was about, to show the refusal there


@dataclass
class Handled:
    request: Any
    outcome: str
    event: str = ""


# --- helpers the sides' handlers share -------------------------------------------------------------


def local_date(value) -> date | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.date()
    try:
        return timezone.localdate(value)
    except OverflowError:  # 0001-01-01T00:00+14:00 is in year 0 here: keep the partner's calendar date
        return value.date()


def note_from_partner(req, text: str) -> None:
    if not text:
        return
    RequestNote.objects.create(request=req, kind=RequestNote.Kind.FROM_PARTNER, text=text[:4000])
    type(req).objects.filter(pk=req.pk).update(has_active_note=True, has_partner_note=True)


def _general_message(req, text: str) -> None:
    GeneralMessage.objects.create(request=req, direction=GeneralMessage.Direction.RECEIVED,
                                  text=(text or _("(empty message)"))[:1000])
    type(req).objects.filter(pk=req.pk).update(has_active_message=True)


# --- the interpreter -------------------------------------------------------------------------------


def _resolve(args: dict, ctx: dict) -> dict | None:
    """Fill "$name" from the message context; "$name!" is required (None skips the step)."""
    out = {}
    for key, value in args.items():
        if isinstance(value, str) and value.startswith("$"):
            name = value[1:].rstrip("!")
            value = ctx.get(name)
            if value is None and args[key].endswith("!"):
                return None
        out[key] = value
    return out


def choose_step(req, rule: Rule, ctx: dict) -> Step | None:
    """The first step of the rule that applies to the request as it is now (None: none does).
    Decides without changing anything, so the tables can be checked against every status."""
    for step in rule.steps:
        if step.kind == "noop":
            if req.status in step.statuses:
                return step
        elif step.kind == "transition":
            kwargs = _resolve(step.kwargs, ctx)
            if kwargs is not None and can_proceed(getattr(req, step.name)):
                return step
        elif step.kind == "call":
            if can_proceed(getattr(req, step.kwargs["guard"])):
                return step
        elif step.kind == "reply":
            if not step.statuses or req.status in step.statuses:
                return step
        else:
            return step
    return None


def _act(req, step: Step, ctx: dict, note: str) -> tuple[Any, str]:
    """The steps that change the request: through the side's own actions, never run_transition itself."""
    if step.kind == "transition":
        req = sides.of(req).transition(req, step.name, by=None, message=ctx["history"], tracked=("due_date",),
                                       **_resolve(step.kwargs, ctx))
        note_from_partner(req, note)
        return req, f"{step.name} → {status_label(type(req), req.status)}"
    kwargs = {k: v for k, v in _resolve(step.kwargs, ctx).items() if k != "guard"}
    # Actions refuse notes over NOTE_LIMIT; a partner's note may be any length. A table that wants the
    # whole note passes note="$note".
    kwargs.setdefault("note", note[:NOTE_LIMIT])
    req = step.action(req, by=None, **kwargs)
    return req, f"{step.says.format(**kwargs)} → {status_label(type(req), req.status)}"


def run_rule(req, rule: Rule, ctx: dict) -> tuple[Any, str]:
    """Run the rule's applicable step on the (locked) request; returns (request, what happened)."""
    model = type(req)
    step = choose_step(req, rule, ctx)
    if step is None:
        raise Refused(ErrorType.UNRECOGNISED_DATA_VALUE,
                      _("%(what)s is not possible while request %(pk)s is “%(status)s”")
                      % {"what": rule.label, "pk": req.pk, "status": status_label(model, req.status)}, req)
    note = ctx.get("note", "")
    if step.kind == "noop":
        if note:
            note_from_partner(req, note)
        return req, _("no change (already “%(s)s”)") % {"s": status_label(model, req.status)}
    if step.kind in ("transition", "call"):
        try:
            return _act(req, step, ctx, note)
        except ActionRefused as exc:
            raise Refused(ErrorType.UNRECOGNISED_DATA_VALUE, exc.message, req) from exc
    if step.kind == "message":
        _general_message(req, note)
        return req, _("general message recorded")
    if step.kind == "status_note":
        text = _("Partner status: %(s)s") % {"s": ctx.get("iso_status") or "-"}
        note_from_partner(req, text + (f" — {note}" if note else ""))
        return req, text
    if step.kind == "note":
        record(req, by=None, kind=HistoryEvent.Kind.PARTNER_DATA, field=_("ISO 18626 message"),
               new=rule.label, message=_(step.name))
        note_from_partner(req, note)
        return req, _(step.name)
    if step.kind == "reply":
        notify_partner(req, step.name, by=None, **step.kwargs)
        return req, _("answered with %(e)s") % {"e": step.name}
    raise Refused(step.error_type, step.name, req)

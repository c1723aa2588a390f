"""The one path every status change takes: lock, transition, save, history row.

Actions (borrowing/actions.py, lending/actions.py) call `run_transition`; nothing else writes status.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed, has_transition_perm

from . import sides
from .cache import TwoLevelCache
from .models import HistoryEvent, StatusSetting


class ActionRefused(Exception):
    """An action that may not run now. `status` is the HTTP status a view answers with."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def side_of(model_or_obj) -> str:
    return sides.of(model_or_obj).name


def status_label(model, status: str) -> str:
    return str(dict(model._meta.get_field("status").choices).get(status, status))


def default_inactive(side: str) -> frozenset[str]:
    return sides.get(side).final


def _load_inactive(side: str) -> frozenset[str]:
    result = set(default_inactive(side))
    for status, inactive in StatusSetting.objects.filter(side=side).values_list("status", "inactive"):
        if inactive:
            result.add(status)
        else:
            result.discard(status)
    return frozenset(result)


# Every transition asks; saving or deleting a StatusSetting drops the entries (`forget_inactive_statuses`,
# connected in illdesk.apps), again after commit: another process may have cached what was still committed.
_INACTIVE = TwoLevelCache("illdesk:inactive-statuses:v1:{}", _load_inactive, seconds=300,
                          forget_after_commit=True)


def inactive_statuses(side: str) -> frozenset[str]:
    """Final statuses plus whatever the admin marked inactive, minus what they marked active (cached)."""
    return _INACTIVE.get(side)


def forget_inactive_statuses(*_args, **_kwargs) -> None:
    _INACTIVE.forget(*((side,) for side in sides.names()))


def refresh_is_active(model) -> int:
    """Re-derive the `is_active` column after an admin changed which statuses count as inactive."""
    inactive = inactive_statuses(side_of(model))
    changed = model.objects.filter(status__in=inactive, is_active=True).update(is_active=False)
    changed += model.objects.exclude(status__in=inactive).filter(is_active=False).update(is_active=True)
    return changed


def history_event(obj, *, by, kind: str, field: str, old: Any = "", new: Any = "", message: str = "") -> HistoryEvent:
    """An unsaved history row (for bulk_create; `record` saves one)."""
    return HistoryEvent(
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
        actor=by if getattr(by, "is_authenticated", False) else None,
        kind=kind,
        field=field,
        old_value="" if old is None else str(old),
        new_value="" if new is None else str(new),
        message=message,
    )


def record(obj, *, by, kind: str, field: str, old: Any = "", new: Any = "", message: str = "") -> HistoryEvent:
    event = history_event(obj, by=by, kind=kind, field=field, old=old, new=new, message=message)
    event.save(force_insert=True)
    return event


def _field_label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name).capitalize()


def _display(obj, name: str) -> str:
    value = getattr(obj, name)
    getter = getattr(obj, f"get_{name}_display", None)
    if getter is not None and value not in (None, ""):
        return str(getter())
    return "" if value is None else str(value)


def refusal_for(model, exc: IntegrityError) -> str | None:
    """The user's message for a save the database refused, when the model names the constraint it broke."""
    text = str(exc)
    for names, message in getattr(model, "integrity_refusals", {}).items():
        if any(name in text for name in names):
            return str(message)
    return None


def _save(obj, fields: list[str]) -> None:
    try:
        obj.save(update_fields=fields)
    except IntegrityError as exc:
        message = refusal_for(type(obj), exc)
        if message is None:
            raise
        raise ActionRefused(message) from exc


def lock(obj):
    """Re-read the row with a lock (PostgreSQL) so concurrent actions serialise on it."""
    return type(obj).objects.select_for_update().get(pk=obj.pk)


def refuse_nul(*texts: str | None) -> None:
    """PostgreSQL text cannot hold NUL: text with one is refused (400), not a database error (500)."""
    if any("\x00" in (text or "") for text in texts):
        raise ActionRefused(_("The text contains a NUL character (\\0), which cannot be stored."), status=400)


def may(obj, name: str, user) -> bool:
    """Whether `user` holds the permission of transition `name` of `obj`'s state machine, from whatever
    status (django-fsm keeps one per source; ours use one rule per transition). No such transition: yes."""
    meta = getattr(getattr(type(obj), name, None), "_django_fsm", None)
    if meta is None:
        return True
    return all(t.has_perm(obj, user) for t in meta.transitions.values())


def run_transition(obj, name: str, *, by, message: str = "", tracked: Iterable[str] = (),
                   before: Callable[[Any], None] | None = None, **kwargs):
    """Run transition `name` on a locked copy of `obj` and save it with a history row per change.

    `tracked` names other fields the transition may change; each change gets its own history row.
    Raises ActionRefused (409 when the state does not allow it, 403 when the user may not).
    Must be called inside `transaction.atomic()` when the caller also queues side effects.
    """
    refuse_nul(message)
    model = type(obj)
    with transaction.atomic():
        current = lock(obj)
        if before is not None:
            before(current)
        method = getattr(current, name)
        if not can_proceed(method):
            raise ActionRefused(
                _("“%(action)s” is not possible while the request is “%(status)s”.")
                % {"action": name.replace("_", " "), "status": status_label(model, current.status)}
            )
        if by is not None and not has_transition_perm(method, by):
            raise ActionRefused(_("You are not allowed to do this."), status=403)
        old_status, was_active = current.status, current.is_active
        old_values = {f: _display(current, f) for f in tracked}
        unchanged = _row(current)
        try:
            method(**kwargs)
        except TransitionNotAllowed as exc:
            raise ActionRefused(str(exc)) from exc
        now = timezone.now()
        current.updated_at = now
        current.is_active = current.status not in inactive_statuses(side_of(model))
        if name == "change_status" and by is not None and current.is_active and not was_active \
                and not may(current, "reactivate", by):
            # A status change that brings a closed request back is reactivating it, on the request page or
            # in bulk alike: the same rule as the Reactivate action. (Named steps such as Resupply have
            # their own rule in the state machine.)
            raise ActionRefused(_("Only staff allowed to reactivate requests can bring this one back."), status=403)
        # Removing hides a request from the task list; one that is active again (reactivated, maybe a moment
        # after a bulk remove took it off) must come back to it, or nobody would see it to work on.
        back_on_list = current.is_active and current.removed_at is not None
        if back_on_list:
            current.removed_at = None
        after = _row(current)
        try:
            # only what changed: a full save would rewrite every column of a wide row
            _save(current, [f for f, value in after.items() if value != unchanged[f]] + ["updated_at"])
        except ConcurrentTransition as exc:
            raise ActionRefused(_("Someone else changed this request a moment ago. Reload and try again.")) from exc
        events = []
        if current.status != old_status:
            events.append(history_event(current, by=by, kind=HistoryEvent.Kind.STATUS, field=_("Status"),
                                        old=status_label(model, old_status), new=status_label(model, current.status),
                                        message=message))
        elif message:
            events.append(history_event(current, by=by, kind=HistoryEvent.Kind.ACTION,
                                        field=name.replace("_", " ").capitalize(), message=message))
        for field, old in old_values.items():
            new = _display(current, field)
            if new != old:
                events.append(history_event(current, by=by, kind=HistoryEvent.Kind.FIELD,
                                            field=_field_label(model, field), old=old, new=new))
        if back_on_list:
            events.append(history_event(current, by=by, kind=HistoryEvent.Kind.ACTION,
                                        field=_("Removed from task list"), old=_("Removed"),
                                        new=_("Back on the task list")))
        HistoryEvent.objects.bulk_create(events)
    return current


def _row(obj) -> dict[str, Any]:
    return {f.attname: f.value_from_object(obj) for f in obj._meta.concrete_fields if not f.primary_key}


def update_fields(obj, *, by, changes: dict[str, Any], message: str = ""):
    """Change plain fields (not status) under the same lock-and-audit discipline."""
    if "status" in changes:
        raise ValueError("status changes go through run_transition")
    model = type(obj)
    with transaction.atomic():
        current = lock(obj)
        for field, value in changes.items():
            old = _display(current, field)
            setattr(current, field, value)
            new = _display(current, field)
            if old != new:
                record(current, by=by, kind=HistoryEvent.Kind.FIELD, field=_field_label(model, field), old=old,
                       new=new, message=message)
        current.updated_at = timezone.now()
        _save(current, [*changes, "updated_at"])
    return current


@dataclass(frozen=True)
class RowAction:
    name: str
    label: str


def available_transitions(obj, user) -> list[RowAction]:
    """Row actions backed by a transition the user may run now (one source of truth for the UI)."""
    getter = obj.get_available_user_status_transitions
    result = []
    seen = set()
    for t in getter(user):
        label = t.custom.get("label")
        if label and t.name not in seen:
            seen.add(t.name)
            result.append(RowAction(t.name, str(label)))
    return result

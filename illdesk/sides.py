"""The sides of resource sharing (borrowing, lending), as the shared code needs to know them.

Each side registers itself in its `AppConfig.ready()`; the core and the services (`partners/`, `letters/`)
ask the registry instead of importing a side or testing `if side == "borrowing"`. So the arrows point down:
a side knows the core and the services, never the other way round.

    sides.get("lending").final            # by name (a URL, a setting, a stored StatusSetting.side)
    sides.of(req).slip_for(req)           # by request, model or model class
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SideInfo:
    """What one side tells the shared code. The callables take a request of that side."""

    name: str                                   # "borrowing" / "lending": URL namespace, app label, setting key
    model: type                                 # the request model
    statuses: type                              # its Status TextChoices
    final: frozenset[str]                       # statuses in which a request is no longer worked on
    label: Callable[[], str]                    # "Borrowing" in the reader's language
    view: Callable[[], Any]                     # the task list / request page configuration (requestviews.Side)
    slip_for: Callable[[Any], str | None]       # the slip letter code for a request now, or None
    slip_skip_reason: Callable[[Any], str]      # why no slip is printed for it
    # ISO 18626: which agency we are for this side's requests ("requester" builds Requests and
    # requestingAgencyMessages, "supplier" supplyingAgencyMessages), the events the side may tell a
    # partner, the letters that tell an email partner (others go as "partner_communication"), the
    # handlers of inbound message kinds, and (supplier) the ISO status a request reports.
    iso_role: str = ""
    partner_events: frozenset[str] = frozenset()
    partner_letters: Mapping[str, str] = field(default_factory=dict)
    iso_handlers: Mapping[str, Callable] = field(default_factory=dict)
    iso_status: Callable[..., Any] | None = None
    letter_context: Callable[[Any], dict] = lambda req: {}  # side-specific letter variables (barcode, pickup)
    letters: frozenset[str] = frozenset()  # the letter and slip codes (letters.catalog) this side sends
    # permissions ("app.codename") the staff roles get on this side's requests (illdesk.roles.ensure_roles)
    work_permissions: tuple[str, ...] = ()
    manage_permissions: tuple[str, ...] = ()
    transition: Callable[..., Any] | None = None  # the side's audited action wrapper around run_transition
    extra: Mapping[str, Any] = field(default_factory=dict)  # further facts a feature asks the side for

    @property
    def Status(self):  # noqa: N802 - reads like the class it is
        return self.statuses

    def detail_url_name(self) -> str:
        return f"{self.name}:detail"


_SIDES: dict[str, SideInfo] = {}
_BY_MODEL: dict[type, SideInfo] = {}


def register(info: SideInfo) -> None:
    _SIDES[info.name] = info
    _BY_MODEL[info.model] = info


def get(name: str) -> SideInfo:
    try:
        return _SIDES[name]
    except KeyError:
        raise LookupError(f"no side {name!r} is registered (known: {', '.join(_SIDES) or 'none'})") from None


def of(obj_or_model) -> SideInfo:
    """The side of a request, of its model, or of a model class."""
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    info = _BY_MODEL.get(model)
    if info is None:
        for registered, candidate in _BY_MODEL.items():
            if issubclass(model, registered):  # a proxy or a deferred-field subclass
                return candidate
        raise LookupError(f"{model.__name__} is not a registered side's request model")
    return info


def all() -> Iterator[SideInfo]:  # noqa: A001 - sides.all() reads as the registry's own word
    return iter(tuple(_SIDES.values()))


def names() -> list[str]:
    return list(_SIDES)


def handler_for(kind: str) -> Callable | None:
    """The side's handler for an inbound ISO 18626 message kind (request, SAM, RAM)."""
    for info in _SIDES.values():
        handler = info.iso_handlers.get(kind)
        if handler is not None:
            return handler
    return None

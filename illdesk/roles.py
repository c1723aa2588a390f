"""The three staff roles of SPEC §8 as Django groups, and the checks views and transitions use."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from . import sides

OPERATOR = "Fulfillment Services Operator"
MANAGER = "Fulfillment Services Manager"
ADMIN = "General System Administrator"
ROLE_NAMES = (OPERATOR, MANAGER, ADMIN)

# What operators may do with the shared records; each side adds what they may do with its requests
# (SideInfo.work_permissions / manage_permissions, registered in its AppConfig.ready()).
_WORK = [
    "illdesk.view_historyevent",
    "illdesk.add_note",
    "illdesk.view_note",
    "illdesk.add_generalmessage",
    "illdesk.add_attachment",
    "illdesk.view_attachment",
    "illdesk.view_tag",
    "illdesk.add_tag",
]
_CONFIGURE_APPS = ("illdesk", "partners", "letters", "django_celery_beat", "integrations", "opac", "reports",
                   "tools")


def role_permissions() -> dict[str, list[str]]:
    work = [p for info in sides.all() for p in info.work_permissions] + _WORK
    manage = [p for info in sides.all() for p in info.manage_permissions]
    return {
        OPERATOR: work,
        MANAGER: work + manage,
        ADMIN: [],  # gets every permission of the configuration apps, see ensure_roles
    }


def _groups(user) -> frozenset[str]:
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_illdesk_groups", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._illdesk_groups = cached
    return cached


def is_operator(user) -> bool:
    """Anyone who works requests: operators, managers (who are operators too) and superusers."""
    if user is not None and getattr(user, "is_superuser", False) and user.is_active:
        return True
    return bool(_groups(user) & {OPERATOR, MANAGER})


def is_manager(user) -> bool:
    if user is not None and getattr(user, "is_superuser", False) and user.is_active:
        return True
    return MANAGER in _groups(user)


def is_admin(user) -> bool:
    if user is not None and getattr(user, "is_superuser", False) and user.is_active:
        return True
    return ADMIN in _groups(user)


def is_manager_or_admin(user) -> bool:
    return is_manager(user) or is_admin(user)


def can_reactivate(user, side: str) -> bool:
    return is_manager(user) or (is_operator(user) and user.has_perm(f"{side}.reactivate_{side}request"))


def is_staff_worker(user) -> bool:
    return is_operator(user) or is_admin(user)


def require_operator(request) -> None:
    """For the pages that work requests (task lists, request pages, the scan station): operators only."""
    if not is_operator(request.user):
        raise PermissionDenied(_("Only resource-sharing staff can open this page."))


def require_staff(request) -> None:
    """Wider: administrators too (job runs, the copyright report), who configure but do not work requests."""
    if not is_staff_worker(request.user):
        raise PermissionDenied(_("Only resource-sharing staff can open this page."))


def _required(check: Callable) -> Callable:
    def decorator(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            check(request)
            return view(request, *args, **kwargs)

        return checked

    return decorator


# Put under @login_required, so an anonymous visitor is sent to the login page rather than refused.
operator_required = _required(require_operator)
staff_required = _required(require_staff)


def ensure_roles() -> None:
    """Create the groups with their permissions (idempotent; run after every migrate)."""
    from django.contrib.auth.models import Group, Permission

    for name, perms in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".", 1)
            wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        if name == ADMIN:
            wanted.extend(Permission.objects.filter(content_type__app_label__in=_CONFIGURE_APPS))
            wanted.extend(Permission.objects.filter(content_type__app_label="auth"))
        group.permissions.set(wanted)

from .roles import is_admin, is_manager, is_operator


def roles(request):
    user = getattr(request, "user", None)
    return {
        "is_operator": is_operator(user),
        "is_manager": is_manager(user),
        "is_admin": is_admin(user),
    }

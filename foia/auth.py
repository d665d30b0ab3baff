"""The authentication backend: rate-limited password logins, and Django permissions that follow the role.

Django's admin asks for model permissions (foia.change_law, ...). Rather than keeping a second set of
permissions in step with the role by hand, the role grants them: editors may view, add, change and delete
every record of the app (law data, agencies, campaigns, requests, documents), except people and their API
tokens, so an editor cannot make themself an admin; admins may do everything. Explicit per-user or group
permissions still add to this. Reaching the admin at all also needs `is_staff` (give it to editors, admins).
"""

from django.contrib.auth.models import Permission

from .models import Role
from .ratelimit import RateLimitedModelBackend

# Models an editor may not change through the admin: people (roles, staff, superuser) and API tokens.
EDITOR_EXCLUDED = {("foia", "user"), ("authtoken", "token"), ("authtoken", "tokenproxy")}


def role_permissions(user) -> set[str]:
    """ "app_label.codename" permissions that `user`'s role grants."""
    if not (user.is_active and getattr(user, "role", None)):
        return set()
    if user.has_role(Role.ADMIN):
        rows = Permission.objects.values_list("content_type__app_label", "content_type__model", "codename")
    elif user.has_role(Role.EDITOR):
        rows = Permission.objects.filter(content_type__app_label="foia").values_list(
            "content_type__app_label", "content_type__model", "codename"
        )
    else:
        return set()
    return {f"{app}.{codename}" for app, model, codename in rows if (app, model) not in _excluded(user)}


def _excluded(user) -> set[tuple[str, str]]:
    return set() if user.has_role(Role.ADMIN) else EDITOR_EXCLUDED


class NewsroomBackend(RateLimitedModelBackend):
    """ModelBackend + failed-login limits + the permissions of the person's role."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_role_perm_cache"):
            user_obj._role_perm_cache = role_permissions(user_obj)
        return {*super().get_all_permissions(user_obj, obj), *user_obj._role_perm_cache}

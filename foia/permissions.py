"""Roles on every view: viewer reads, reporter works requests, editor edits everything, admin all.

Login itself is enforced for every view by django.contrib.auth's LoginRequiredMiddleware; views that must be
reachable without a session (login page, signed webhook, token API) are marked `login_not_required`.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied

from .models import Role


def role_required(role: str):
    """Decorator for function views: 403 unless the person has `role` or above."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated or not user.has_role(role):
                raise PermissionDenied(f"This needs the {Role(role).label} role.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def can_work_request(user, records_request) -> bool:
    """Reporters work their own requests (and unowned ones); editors and admins work all of them."""
    if not user.is_authenticated:
        return False
    if user.has_role(Role.EDITOR):
        return True
    return user.has_role(Role.REPORTER) and records_request.owner_id in (None, user.pk)


def require_can_work(user, records_request) -> None:
    if not can_work_request(user, records_request):
        raise PermissionDenied("Only the request's owner or an editor can change it.")


def can_work_campaign(user, campaign) -> bool:
    """Reporters work their own campaigns (and unowned ones); editors and admins work all of them."""
    if not user.is_authenticated:
        return False
    if user.has_role(Role.EDITOR):
        return True
    return user.has_role(Role.REPORTER) and campaign.owner_id in (None, user.pk)


def can_see_unsorted_files(user) -> bool:
    """Files of unsorted mail (on no request yet, so no request's visibility covers them): editors and
    admins, the people who may search unsorted mail."""
    return bool(user.is_authenticated and user.has_role(Role.EDITOR))

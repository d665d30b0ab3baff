"""API permissions: the same roles as the web pages (foia.permissions), as DRF permission classes."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from ..models import Role
from ..permissions import can_work_request


class RolePermission(BasePermission):
    """Reads: any signed-in person. Writes: the view's `write_roles[action]` (default: `write_role`)."""

    message = "Your role does not allow this change."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        action = getattr(view, "action", None)
        role = getattr(view, "write_roles", {}).get(action, getattr(view, "write_role", Role.EDITOR))
        if not user.has_role(role):
            self.message = f"This needs the {Role(role).label} role; you are {user.get_role_display()}."
            return False
        return True


class CanWorkRequest(BasePermission):
    """Changing a request: its owner (or nobody's request) for reporters; any request for editors."""

    message = "Only the request's owner or an editor can change it."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return can_work_request(request.user, obj)


class OwnsCampaign(BasePermission):
    """Changing a campaign: its owner for reporters; any campaign for editors (as on the campaign pages)."""

    message = "Only the campaign's owner or an editor can change it."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        return user.has_role(Role.EDITOR) or obj.owner_id == user.pk

"""People and their roles in the one newsroom a deployment serves."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer (read only)"
    REPORTER = "reporter", "Reporter"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"


# Higher roles can do everything lower roles can.
ROLE_RANK = {Role.VIEWER: 0, Role.REPORTER: 1, Role.EDITOR: 2, Role.ADMIN: 3}


class User(AbstractUser):
    role = models.CharField(
        max_length=16,
        choices=Role.choices,
        default=Role.REPORTER,
        help_text="Viewer reads; reporter works own requests; editor edits everything incl. laws; admin all.",
    )
    digest_enabled = models.BooleanField(default=True, help_text="Send me a daily digest of due requests.")

    def has_role(self, role: str) -> bool:
        """True when this person's role is `role` or above (superusers have every role)."""
        if self.is_superuser:
            return True
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[Role(role)]

    @property
    def can_edit_everything(self) -> bool:
        return self.has_role(Role.EDITOR)

"""Table-level reads that read like the newsroom: RecordsRequest.objects.open().overdue(today)."""

import datetime

from django.db import models


class RecordsRequestQuerySet(models.QuerySet):
    def open(self):
        """Requests the agency still owes an answer on (the clock runs)."""
        from .models.request import OPEN_STATUSES

        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today: datetime.date):
        """Open requests whose due date has passed."""
        return self.open().filter(due_on__lt=today)

    def visible_to(self, user):
        """Everything in the newsroom is readable by its people; anonymous users see nothing."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self

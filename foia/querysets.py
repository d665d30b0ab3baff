"""Table-level reads that read like the newsroom: RecordsRequest.objects.open().overdue(today)."""

import datetime

from django.db import models

from .statuses import OPEN_STATUSES, PAUSED_STATUSES


class RecordsRequestQuerySet(models.QuerySet):
    def open(self):
        """Requests the agency still owes an answer on (the clock runs)."""
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today: datetime.date):
        """Open requests whose due date has passed."""
        return self.open().filter(due_on__lt=today)

    def due_within(self, today: datetime.date, days: int):
        """Open requests due from today through `days` days ahead."""
        return self.open().filter(due_on__gte=today, due_on__lte=today + datetime.timedelta(days=days))

    def awaiting_requester(self):
        """Requests waiting on the newsroom (fix or payment required): the clock is paused."""
        return self.filter(status__in=PAUSED_STATUSES)

    def needs_followup(self, today: datetime.date):
        """Open, overdue requests whose next follow-up date has come (read by the reminder scan)."""
        return self.overdue(today).filter(next_followup_on__lte=today)

    def with_recipient(self):
        """Annotate `recipient_id`: the owner, or the campaign's owner for unowned requests (digests)."""
        from django.db.models.functions import Coalesce

        return self.annotate(recipient_id=Coalesce("owner_id", "campaign__owner_id"))

    def visible_to(self, user):
        """Everything in the newsroom is readable by its people; anonymous users see nothing."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self

"""Dashboard summary counts: signed deltas kept by database triggers (foia.dashboard_summary)."""

from django.db import models


class DashboardCount(models.Model):
    """One signed delta of one dashboard figure in one scope; a figure is the SUM of its rows.

    Written only by the triggers that foia.dashboard_summary installs on requests, agencies, documents and
    their links (so every door that changes a counted field is covered: saves, queryset.update, bulk_create,
    deletes, raw SQL). Rows are only ever appended by the triggers, never updated, so concurrent writers never
    wait on one another; `manage.py dashboard_summary compact` (hourly on beat) folds them into one per key.
    """

    # "a" every request, "c" one campaign, "s" one state, "o" one owner.
    scope = models.CharField(max_length=1)
    scope_key = models.CharField(max_length=64, blank=True, help_text='e.g. a campaign id or "MI"')
    measure = models.CharField(max_length=16, help_text='e.g. "n", "open_due", "answer_days"')
    key = models.CharField(max_length=80, blank=True, help_text='e.g. "sent|MI" or "2026-11-25"')
    n = models.BigIntegerField()

    class Meta:
        # n in the index too: a scope's totals are summed from the index alone (PostgreSQL index-only scan).
        indexes = [
            models.Index(fields=["scope", "scope_key", "measure", "key", "n"], name="dashcount_scope_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.scope_key} {self.measure}:{self.key} {self.n:+d}"

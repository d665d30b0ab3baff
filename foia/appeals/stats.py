"""Appeal figures for the dashboard and the campaign export: one query each, whatever the number of rows."""

from django.db.models import Count, Q

from .models import Appeal, AppealStatus

PENDING = [AppealStatus.FILED, AppealStatus.ACKNOWLEDGED]
LOST = [AppealStatus.DENIED, AppealStatus.LITIGATION]


def appeals_by_state(requests_queryset) -> list[dict]:
    """Per state: appeals drafted, filed, pending (filed, no decision), won, partly won and lost."""
    rows = (
        Appeal.objects.filter(request__in=requests_queryset.values("pk"), kind="appeal")
        .values("jurisdiction")
        .annotate(
            drafted=Count("id"),
            filed=Count("id", filter=Q(filed_at__isnull=False)),
            pending=Count("id", filter=Q(status__in=PENDING)),
            won=Count("id", filter=Q(status=AppealStatus.GRANTED)),
            partly=Count("id", filter=Q(status=AppealStatus.PARTLY_GRANTED)),
            lost=Count("id", filter=Q(status__in=LOST)),
        )
        .order_by("jurisdiction")
    )
    return [{"state": row.pop("jurisdiction"), **row} for row in rows]

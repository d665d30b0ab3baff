"""The documents panel on a request's page, loaded with a fixed number of queries."""

from django import template

from ..documents import INLINE_TYPES
from ..permissions import can_work_request

register = template.Library()


@register.inclusion_tag("documents/_request_documents_panel.html", takes_context=True)
def request_documents_panel(context, records_request):
    """Documents, communications, upload and record-outcome forms of one request."""
    from ..lifecycle import allowed_transitions
    from ..views.documents import OUTCOME_STATUSES, OutcomeForm

    user = context.get("user")
    allowed = set(allowed_transitions(records_request.status))
    outcome_choices = [(s.value, s.label) for s in OUTCOME_STATUSES if s.value in allowed]
    return {
        "records_request": records_request,
        "links": records_request.documents.select_related("document", "communication").order_by("-added_at"),
        "communications": records_request.communications.order_by("-occurred_at", "-id"),
        "can_work": can_work_request(user, records_request) if user else False,
        "csrf_token": context.get("csrf_token"),
        "outcome_choices": outcome_choices,
        "outcome_form": OutcomeForm(),
        "inline_types": INLINE_TYPES,
    }

"""Template helpers for the letters area: the facts the request page's letter panel needs."""

from django import template

from ..forms_campaigns import MANUAL_CHOICES
from ..letters import requester_limit_warning
from ..models import Law
from ..permissions import can_work_request
from ..sending import request_send_method, request_send_problem

register = template.Library()


@register.simple_tag
def letter_panel(records_request, user) -> dict:
    """Send method, requester-limit warning, what blocks emailing, and whether this person may act."""
    law = Law.objects.filter(jurisdiction=records_request.agency.state).first()
    communication = records_request.communications.filter(
        idempotency_key=f"send:{records_request.pk}"
    ).first()
    return {
        "method": request_send_method(records_request),
        "warning": requester_limit_warning(law),
        "no_law": law is None,
        "send_problem": request_send_problem(records_request),
        "can_work": can_work_request(user, records_request),
        "send": communication,
        "methods": MANUAL_CHOICES,
    }

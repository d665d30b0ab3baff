"""The appeal panel on the request page: the window and the request's appeals."""

from django import template
from django.utils import timezone

from ..appeals.services import request_appeal_window

register = template.Library()


@register.simple_tag
def appeal_panel(records_request) -> dict:
    """{'window': WindowNote or None, 'appeals': [...]} for the request page."""
    return {
        "window": request_appeal_window(records_request, today=timezone.localdate()),
        "appeals": list(records_request.appeals.all()),
    }

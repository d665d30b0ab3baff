"""Small views shared by the whole site."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from foia.supervisor import STATUS_FILE_NAME, read_status


@login_not_required
def healthz(request):
    """Liveness for docker compose and load balancers: the database answers.

    Under `make run` it also shows the worker's and beat's state and restarts (foia/supervisor.py).
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    body = {"ok": True}
    background = read_status(Path(settings.VAR_DIR) / STATUS_FILE_NAME)
    if background is not None:
        body["background"] = background
    return JsonResponse(body)


@require_GET
def about(request):
    """What the app is, and the credits for the data it ships (the demo's agency list is CC BY 4.0)."""
    return render(request, "about.html")

"""The review page of a "Draft appeals" bulk run: live progress, each draft to review or edit, then
"send the N reviewed" (the "Send reviewed appeals" bulk action over the run's requests: preview, apply)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from ..bulk import BulkSelectionChanged, bulk_preview, bulk_start, get_action
from ..models import BulkItemState, BulkRun, RecordsRequest, Role
from ..permissions import role_required
from .batch import DRAFT, SEND, run_appeals


def _run(request, pk) -> BulkRun:
    run = get_object_or_404(BulkRun.objects.select_related("created_by"), pk=pk, action=DRAFT)
    if run.created_by_id != request.user.pk and not request.user.has_role(Role.EDITOR):
        raise PermissionDenied("Only the person who started it or an editor can see this run.")
    return run


@require_http_methods(["GET", "HEAD", "POST"])
@role_required(Role.REPORTER)
def appeal_run(request, pk):
    """GET: progress (the fragment alone for htmx polling) and the drafts; POST: send the reviewed ones."""
    run = _run(request, pk)
    send = get_action(SEND)
    requests = RecordsRequest.objects.visible_to(request.user).filter(
        pk__in=run.items.filter(state=BulkItemState.DONE).values("request_id")
    )
    if request.method == "POST":
        try:
            sending = bulk_start(
                action=send,
                requests=requests,
                user=request.user,
                params={},
                expect=request.POST.get("fingerprint", ""),
            )
        except BulkSelectionChanged as error:
            messages.error(request, " ".join(error.messages))
            return redirect("appeal-run", pk=run.pk)
        return redirect("bulk-run", pk=sending.pk)
    context = {"run": run, "action": get_action(DRAFT), "back": reverse("request-list")}
    if not run.running:
        context["appeals"] = run_appeals(run)
        context["skipped"] = run.items.filter(state=BulkItemState.SKIPPED).select_related("request")[:200]
        context["send"] = bulk_preview(action=send, requests=requests, user=request.user, params={})
    template = "appeals/_run.html" if request.headers.get("HX-Request") else "appeals/run.html"
    return render(request, template, context)


urlpatterns = [path("bulk/runs/<int:pk>/appeals/", appeal_run, name="appeal-run")]

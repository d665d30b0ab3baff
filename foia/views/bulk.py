"""Bulk actions on the requests a filter selects: choose an action, see the counts, apply, watch progress."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..bulk import BulkSelectionChanged, bulk_preview, bulk_start, get_action, registered_actions
from ..bulk.core import params_from
from ..models import BulkItemState, BulkRun, Role
from ..permissions import role_required
from .requests import _listing

SELECTION_PARAMS = ("action", "overdue")


def _selection(request):
    """The requests the list page's filters select (the same filter code), or None when a filter is bad."""
    form, records_requests = _listing(request)
    if form.is_bound and not form.is_valid():
        return form, None
    if request.GET.get("overdue"):
        records_requests = records_requests.overdue(timezone.localdate())
    return form, records_requests


def _filter_query(request) -> str:
    query = request.GET.copy()
    for name in (*SELECTION_PARAMS, "page"):
        query.pop(name, None)
    return query.urlencode()


@role_required(Role.REPORTER)
def bulk_action(request):
    """GET: the selection and the action's form; POST "preview": the counts; POST "apply": start the run."""
    filters, selection = _selection(request)
    if selection is None:
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filters.errors.items())
        return HttpResponseBadRequest(f"Bad filter, nothing selected. {problems}")
    action = get_action(request.GET.get("action", ""))
    context = {
        "actions": registered_actions(),
        "action": action,
        "filter_query": _filter_query(request),
        "overdue": bool(request.GET.get("overdue")),
        "n_selected": selection.count(),
        "filters": filters,
    }
    if action is None:
        return render(request, "bulk/action.html", context)
    form = action.form_class(
        request.POST if request.method == "POST" else None, user=request.user, requests=selection
    )
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        params = params_from(form.cleaned_data)
        if "apply" in request.POST:
            try:
                run = bulk_start(
                    action=action,
                    requests=selection,
                    user=request.user,
                    params=params,
                    expect=request.POST.get("fingerprint", ""),
                )
            except BulkSelectionChanged as error:
                messages.error(request, " ".join(error.messages))
            else:
                return redirect("bulk-run", pk=run.pk)
        context["preview"] = bulk_preview(action=action, requests=selection, user=request.user, params=params)
    return render(request, "bulk/action.html", context)


def _visible_run(request, pk) -> BulkRun:
    run = get_object_or_404(BulkRun.objects.select_related("created_by"), pk=pk)
    if run.created_by_id != request.user.pk and not request.user.has_role(Role.EDITOR):
        raise PermissionDenied("Only the person who started it or an editor can see this run.")
    return run


@require_GET
@role_required(Role.REPORTER)
def bulk_run(request, pk):
    """A run's progress (the fragment alone for htmx polling) and, once done, what was skipped and why."""
    run = _visible_run(request, pk)
    action = get_action(run.action)
    skipped = (
        run.items.filter(state=BulkItemState.SKIPPED).select_related("request").order_by("pk")[:200]
        if not run.running
        else []
    )
    context = {"run": run, "action": action, "skipped": skipped, "back": reverse("request-list")}
    if request.headers.get("HX-Request"):
        return render(request, "bulk/_progress.html", context)
    return render(request, "bulk/run.html", context)


urlpatterns = [
    path("", bulk_action, name="bulk-action"),
    path("runs/<int:pk>/", bulk_run, name="bulk-run"),
]

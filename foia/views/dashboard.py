"""The newsroom dashboard (front page), per-campaign dashboards, campaign exports and one's API token."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from rest_framework.authtoken.models import Token

from .. import charts, exports
from ..jurisdictions import jurisdiction_choices
from ..models import Campaign, Role, User
from ..stats import StatsFilter, dashboard_stats

STATE_CHOICES = jurisdiction_choices("All states")


class DashboardFilterForm(forms.Form):
    """The filters above the dashboard; every field optional, bad values reported, not fatal."""

    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.only("id", "title"), required=False, empty_label="All campaigns"
    )
    state = forms.ChoiceField(choices=STATE_CHOICES, required=False)
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        empty_label="Anyone",
    )
    date_from = forms.DateField(
        required=False, label="Sent from", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="Sent until", widget=forms.DateInput(attrs={"type": "date"})
    )

    def plain_fields(self) -> list[dict]:
        """The fields as plain data for _filters.html: a loop there is far cheaper than Django's widget
        templates (one template per <option>), which took ~20 ms of every full dashboard page."""
        fields = []
        for bound in self:
            value = bound.value()
            current = "" if value is None else str(value)
            field = {"name": bound.html_name, "id": bound.id_for_label, "label": bound.label,
                     "value": current, "errors": bound.errors}  # fmt: skip
            if isinstance(bound.field, forms.ChoiceField):
                field["options"] = [(str(v), label, str(v) == current) for v, label in bound.field.choices]
            fields.append(field)
        return fields

    def stats_filter(self, campaign: Campaign | None = None) -> StatsFilter:
        """The valid part of the filters (an invalid field is ignored and shown as an error)."""
        data = self.cleaned_data if self.is_bound else {}
        chosen = campaign or data.get("campaign")
        owner = data.get("owner")
        return StatsFilter(
            campaign_id=chosen.pk if chosen else None,
            state=data.get("state") or "",
            owner_id=owner.pk if owner else None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


def _render_dashboard(request, template: str, campaign: Campaign | None = None, **extra):
    form = DashboardFilterForm(request.GET or None)
    if campaign is not None:
        del form.fields["campaign"]
    if form.is_bound:
        form.is_valid()  # fills cleaned_data with the valid fields and errors for the rest
    stats_filter = form.stats_filter(campaign)
    today = timezone.localdate()
    stats = dashboard_stats(stats_filter=stats_filter, today=today)
    context = {
        "form": form,
        "filter_fields": form.plain_fields,
        "campaign": campaign,
        "stats": stats,
        "today": today,
        "charts": {
            "weekly": charts.weekly_chart(stats["timeline"]),
            "first_response": charts.histogram(stats["first_response_days"], "Days to first response"),
            "completion": charts.histogram(
                stats["completion_days"], "Days to completion", color=charts.ANSWER_COLOR
            ),
            "map": charts.tile_map(stats["by_state"]),
            "kinds": charts.hbars(stats["documents_by_kind"], "Documents received by kind"),
            "statuses": charts.hbars(
                [row for row in stats["by_status"] if row["count"]], "Requests by status"
            ),
        },
        **extra,
        "rate_legend": [
            (f"< {int(limit * 100)}%" if limit <= 1 else "80–100%", color)
            for limit, color in charts.RATE_SHADES
        ],
    }
    # htmx filter changes swap only the dashboard body; a normal visit gets the whole page.
    if request.headers.get("HX-Request") == "true":
        return render(request, "dashboard/_body.html", context)
    return render(request, template, context)


@require_safe
def home(request):
    """The newsroom dashboard: every campaign, filterable by campaign, state, owner and send date."""
    recent = Campaign.objects.only("id", "title").order_by("-created_at")[:8]
    return _render_dashboard(request, "home.html", recent_campaigns=recent)


@require_safe
def campaign_dashboard(request, pk):
    """One campaign at a glance, with the same filters (minus the campaign) and its exports."""
    campaign = get_object_or_404(Campaign, pk=pk)
    return _render_dashboard(request, "dashboard/campaign.html", campaign)


@never_cache  # the page may show a secret: no browser or proxy keeps a copy
@require_http_methods(["GET", "POST"])
def api_token(request):
    """Create, replace or revoke one's own API token; the new key is shown once, on this response only."""
    context = {
        "can_write": request.user.has_role(Role.REPORTER),
        "api_root": request.build_absolute_uri("/api/"),
    }
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "revoke":
            Token.objects.filter(user=request.user).delete()
            messages.success(request, "Your API token is revoked; anything using it is now refused.")
            return redirect("api-token")
        if action != "create":
            messages.error(request, "Choose “Create a token” or “Revoke it”.")
            return redirect("api-token")
        with transaction.atomic():
            Token.objects.filter(user=request.user).delete()
            token = Token.objects.create(user=request.user)
        # Rendered, not redirected: the key must not travel through the session or a cookie.
        context.update(token=token, new_key=token.key)
        return render(request, "dashboard/api_token.html", context)
    context["token"] = Token.objects.filter(user=request.user).first()
    return render(request, "dashboard/api_token.html", context)


urlpatterns = [
    path("", home, name="dashboard"),
    path("api-token/", api_token, name="api-token"),
    path("campaigns/<int:pk>/", campaign_dashboard, name="campaign-dashboard"),
    path("campaigns/<int:pk>/export.csv", exports.campaign_export_csv, name="campaign-export-csv"),
    path("campaigns/<int:pk>/export.json", exports.campaign_export_json, name="campaign-export-json"),
    path("campaigns/<int:pk>/documents.zip", exports.campaign_documents_zip, name="campaign-documents-zip"),
]

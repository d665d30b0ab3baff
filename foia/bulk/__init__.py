"""Bulk actions on a filtered set of requests: an action registry, a preview with counts, a run that applies.

The small API (the appeals' batch drafts reuse it):

    from foia.bulk import BulkAction, register

    register(BulkAction(
        name="withdraw", label="Withdraw", verb="withdrawn",
        form_class=WithdrawForm,          # its parameters; built as form_class(data, user=, requests=)
        check=lambda rr, params: "",      # "" when this request can take the action, else a short reason
        apply=lambda rr, params, actor: request_transition(...),   # raise LifecycleError to skip the request
        fields=("status",),               # the columns `check` reads (the preview loads only these)
    ))

    preview = bulk_preview(action=action, requests=queryset, user=user, params=params)
    preview.message   # "23 requests will be withdrawn; 2 cannot: already closed"
    run = bulk_start(action=action, requests=queryset, user=user, params=params, expect=preview.fingerprint)
    bulk_run_process(run_id=run.pk)     # what the worker task calls; tests call it directly

An action's module registers its actions at import; list it in ACTION_MODULES so the views and the worker both
load it. `params` is the form's cleaned data made JSON-able (dates and Decimals as strings, rows as ids) and
is stored on the BulkRun, so the worker applies exactly what was previewed.

Who may: the views need the reporter role (viewers nothing); every request is checked with
foia.permissions.can_work_request (reporters only their own or unowned requests, editors all), in the preview
("cannot: owned by someone else") and again when it is applied.

Transactions: each request is changed in its own transaction — the lifecycle change, its timeline events, the
BulkItem marked done and the run's counter commit together or not at all, so no request is ever half-changed.
The set itself is written first (one BulkItem per request, in the transaction that creates the run), and a run
is claimed with a conditional UPDATE; a run whose worker died is taken over by the scan and resumed at the
first pending item, so a run never stops half-way unseen. One transaction for the whole set was rejected:
1,500 lifecycle changes would hold 1,500 row locks for tens of seconds (blocking replies, the reminder scan
and the people working those requests), no progress could be shown, and one request changed by someone else
between preview and apply would undo all the others. A request that no longer qualifies when its turn comes
(someone closed it meanwhile) is left unchanged and counted as skipped with the lifecycle's own message.
"""

from .core import (
    ACTION_MODULES,
    BulkAction,
    BulkPreview,
    BulkSelectionChanged,
    bulk_preview,
    bulk_recover_stale,
    bulk_run_process,
    bulk_start,
    get_action,
    register,
    registered_actions,
)

__all__ = [
    "ACTION_MODULES",
    "BulkAction",
    "BulkPreview",
    "BulkSelectionChanged",
    "bulk_preview",
    "bulk_recover_stale",
    "bulk_run_process",
    "bulk_start",
    "get_action",
    "register",
    "registered_actions",
]

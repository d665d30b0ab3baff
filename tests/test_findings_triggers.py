"""What queues a recomputation of the findings matrix besides a document's text: agencies joining the
campaign, requests made or deleted, a document unlinked or moved; and the stored near-duplicate groups,
recomputed by the worker when documents of their kind change. Each queues only the affected rows."""

import datetime

import pytest
from django.utils import timezone

from foia.campaigns import campaign_add_agencies
from foia.findings.cells import cell_decide, cells_compute, findings_for_agencies, findings_for_document
from foia.findings.duplicates import groups_compute, stored_groups
from foia.findings.questions import questions_load
from foia.models import DocumentKind, DuplicateGroups, FindingCell, RequestDocument

from .conftest import wait_until
from .factories import AgencyFactory, CampaignFactory, RecordsRequestFactory
from .test_findings import QUESTIONS, by_agency
from .test_findings_compare import TEMPLATE
from .test_search_exact import add_document

AGENCIES = "foia.tasks.findings.findings_agencies"
GROUPS = "foia.tasks.findings.findings_groups"


@pytest.fixture
def two(db, sent_tasks):
    """Mesa has the promise in its MOU, Tempe nothing; both answered."""
    campaign = CampaignFactory()
    questions_load(campaign=campaign, text=QUESTIONS)
    mesa = RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name="Mesa PD"))
    tempe = RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name="Tempe PD"))
    link = add_document(mesa, ["We will encourage adoption of the app."], "mesa.pdf")
    add_document(tempe, ["Nothing of the sort."], "tempe.pdf")
    for records_request in (mesa, tempe):
        for document_link in records_request.documents.all():
            document_link.document.kind = DocumentKind.MOU
            document_link.document.save(update_fields=["kind"])
    cells_compute(campaign=campaign)
    sent_tasks.clear()
    return campaign, mesa, tempe, link


def agencies_queued(sent_tasks) -> list[tuple]:
    return [args for name, args in sent_tasks if name == AGENCIES]


def test_agencies_added_to_the_campaign_queue_only_their_rows(
    two, sent_tasks, django_capture_on_commit_callbacks
):
    campaign, mesa, _tempe, _link = two
    new = [AgencyFactory(name="Gilbert PD"), AgencyFactory(name="Peoria PD")]
    with django_capture_on_commit_callbacks(execute=True):
        campaign_add_agencies(campaign=campaign, agencies=new)
    assert agencies_queued(sent_tasks) == [(campaign.pk, sorted(a.pk for a in new))]
    before = FindingCell.objects.get(question__slug="promote", agency=mesa.agency).computed_at
    assert findings_for_agencies(campaign.pk, [a.pk for a in new]) == 3 * 2  # three questions, two agencies
    assert by_agency(campaign, "promote")["Gilbert PD"].reason == "no documents yet"
    assert FindingCell.objects.get(question__slug="promote", agency=mesa.agency).computed_at == before


def test_a_new_request_queues_its_agencys_row(two, sent_tasks, django_capture_on_commit_callbacks):
    campaign = two[0]
    with django_capture_on_commit_callbacks(execute=True):
        records_request = RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name="Late PD"))
    assert agencies_queued(sent_tasks) == [(campaign.pk, [records_request.agency_id])]


def test_unlinking_a_document_queues_its_agency_and_flags_an_override(
    two, sent_tasks, django_capture_on_commit_callbacks, alice
):
    campaign, mesa, _tempe, link = two
    cell = by_agency(campaign, "promote")["Mesa PD"]
    cell_decide(cell=cell, answer="yes", note="checked p. 1", user=alice)
    with django_capture_on_commit_callbacks(execute=True):
        RequestDocument.objects.filter(pk=link.pk).delete()
    assert agencies_queued(sent_tasks) == [(campaign.pk, [mesa.agency_id])]
    findings_for_agencies(campaign.pk, [mesa.agency_id])
    cell.refresh_from_db()
    assert (cell.answer, cell.reason) == ("unknown", "no documents yet")
    assert (cell.human_answer, cell.needs_review) == ("yes", True)


def test_moving_a_document_to_another_request_queues_both_agencies(
    two, sent_tasks, django_capture_on_commit_callbacks
):
    campaign, mesa, tempe, link = two
    with django_capture_on_commit_callbacks(execute=True):
        link.request = tempe
        link.save()
    assert sorted(agencies_queued(sent_tasks)) == sorted(
        [(campaign.pk, [mesa.agency_id]), (campaign.pk, [tempe.agency_id])]
    )
    findings_for_agencies(campaign.pk, [mesa.agency_id, tempe.agency_id])
    promote = by_agency(campaign, "promote")
    assert promote["Tempe PD"].answer == "yes"
    assert (promote["Mesa PD"].answer, promote["Mesa PD"].reason) == ("unknown", "no documents yet")


def test_deleting_a_request_queues_its_agency_and_a_departed_agencys_row_goes(
    two, sent_tasks, django_capture_on_commit_callbacks, alice
):
    campaign, _mesa, tempe, _link = two
    answered = FindingCell.objects.get(agency_id=tempe.agency_id, question__slug="approve")
    cell_decide(cell=answered, answer="no", note="read it", user=alice)
    with django_capture_on_commit_callbacks(execute=True):
        RequestDocument.objects.filter(request=tempe).delete()
        tempe.delete()
    assert (campaign.pk, [tempe.agency_id]) in agencies_queued(sent_tasks)
    findings_for_agencies(campaign.pk, [tempe.agency_id])
    # The machine's cells go; the one a person answered stays, flagged for review.
    assert list(FindingCell.objects.filter(agency_id=tempe.agency_id)) == [answered]
    answered.refresh_from_db()
    assert (answered.human_answer, answered.needs_review) == ("no", True)


def test_groups_are_stored_and_recomputed_only_when_documents_of_their_kind_change(
    two, sent_tasks, django_capture_on_commit_callbacks
):
    campaign, mesa, tempe, link = two
    with django_capture_on_commit_callbacks(execute=True):
        row, groups = stored_groups(campaign, DocumentKind.MOU)
    assert (row, groups) == (None, []) and (GROUPS, (campaign.pk, "mou")) in sent_tasks
    row = groups_compute(campaign_id=campaign.pk, kind="mou")
    assert (row.documents, len(row.groups), row.stale) == (2, 2, False)
    computed = row.computed_at
    assert groups_compute(campaign_id=campaign.pk, kind="mou").computed_at == computed  # fresh: not redone
    _row, shown = stored_groups(campaign, DocumentKind.MOU)
    assert sorted(len(group.members) for group, _info in shown) == [1, 1]
    # A copy of Mesa's text arrives for Tempe: the document task marks the groups stale and queues them.
    sent_tasks.clear()
    copy = add_document(tempe, ["We will encourage adoption of the app."], "tempe-copy.pdf")
    copy.document.kind = DocumentKind.MOU
    copy.document.save(update_fields=["kind"])
    with django_capture_on_commit_callbacks(execute=True):
        findings_for_document(copy.document_id)
    assert (GROUPS, (campaign.pk, "mou")) in sent_tasks
    assert DuplicateGroups.objects.get(campaign=campaign, kind="mou").stale
    row = groups_compute(campaign_id=campaign.pk, kind="mou")
    assert sorted(len(variants[0]) for variants in row.groups) == [1, 2]  # the copy joined Mesa's
    # Unlinking it marks them stale again (the groups it was in), and the page leaves it out meanwhile.
    sent_tasks.clear()
    with django_capture_on_commit_callbacks(execute=True):
        RequestDocument.objects.filter(pk=copy.pk).delete()
    assert (GROUPS, (campaign.pk, "mou")) in sent_tasks
    _row, shown = stored_groups(campaign, DocumentKind.MOU)
    assert copy.document_id not in [key for group, _info in shown for key in group.members]


def test_a_groups_task_lost_for_ten_minutes_is_queued_again_when_the_page_is_read(
    two, sent_tasks, django_capture_on_commit_callbacks
):
    campaign = two[0]
    groups_compute(campaign_id=campaign.pk, kind="mou")
    long_ago = timezone.now() - datetime.timedelta(minutes=30)
    DuplicateGroups.objects.update(
        computed_at=long_ago, wanted_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        row, _shown = stored_groups(campaign, DocumentKind.MOU)
    assert row.stale and not sent_tasks  # its task may still be on its way
    DuplicateGroups.objects.update(wanted_at=timezone.now() - datetime.timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):
        stored_groups(campaign, DocumentKind.MOU)
    assert sent_tasks == [(GROUPS, (campaign.pk, "mou"))]


def test_groups_of_a_kind_nobody_looked_at_are_not_computed(
    two, sent_tasks, django_capture_on_commit_callbacks
):
    campaign, mesa, _tempe, link = two
    with django_capture_on_commit_callbacks(execute=True):
        findings_for_document(link.document_id)
    assert not [name for name, _args in sent_tasks if name == GROUPS]
    assert not DuplicateGroups.objects.exists()


def test_near_duplicate_groups_merge_copies_across_agencies(db, sent_tasks):
    campaign = CampaignFactory()
    for name in ("Mesa PD", "Gilbert PD", "Tempe PD"):
        records_request = RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name=name))
        pages = TEMPLATE if name != "Tempe PD" else ["A different text about parking meters and fees."] * 2
        link = add_document(records_request, pages, f"{name[:4]}.pdf")
        link.document.kind = DocumentKind.MOU
        link.document.save(update_fields=["kind"])
    row = groups_compute(campaign_id=campaign.pk, kind="mou", force=True)
    assert sorted(len(variants[0]) for variants in row.groups) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_updates_rows_when_a_document_is_unlinked_and_agencies_join(start_worker):
    campaign = CampaignFactory()
    questions_load(campaign=campaign, text=QUESTIONS)
    mesa = RecordsRequestFactory(campaign=campaign, agency=AgencyFactory(name="Mesa PD"))
    link = add_document(mesa, ["We will encourage adoption of the app."], "mesa.pdf")
    cells_compute(campaign=campaign)
    cell = FindingCell.objects.get(question__slug="promote", agency=mesa.agency)
    assert cell.answer == "yes"
    worker = start_worker()
    RequestDocument.objects.filter(pk=link.pk).delete()
    campaign_add_agencies(campaign=campaign, agencies=[AgencyFactory(name="Gilbert PD")])
    wait_until(
        lambda: (
            FindingCell.objects.get(pk=cell.pk).reason == "no documents yet"
            and FindingCell.objects.filter(agency__name="Gilbert PD").count() == 3
        ),
        timeout=90,
        message=f"the worker to update Mesa's row and add Gilbert's\n{worker.log()}",
    )

"""How the rest of the app tells the findings matrix that something changed: a task queued after commit.
(Imports only foia.queue, so documents and extraction can call it without an import circle.)"""

from ..queue import task_enqueue_on_commit

DOCUMENT_TASK = "foia.tasks.findings.findings_document"
QUESTION_TASK = "foia.tasks.findings.findings_question"
AGENCIES_TASK = "foia.tasks.findings.findings_agencies"


def document_changed(document_id: int) -> None:
    """A document arrived or its text or kind changed: recompute its agencies' rows after commit."""
    task_enqueue_on_commit(DOCUMENT_TASK, document_id)


def question_changed(question_id: int) -> None:
    """A question was created or edited: recompute its column after commit."""
    task_enqueue_on_commit(QUESTION_TASK, question_id)


def agencies_changed(campaign_id: int, agency_ids) -> None:
    """Agencies joined or left the campaign, or lost or gained a document by an unlink or a move:
    recompute their rows (only theirs) after commit."""
    ids = sorted(set(agency_ids))
    if ids:
        task_enqueue_on_commit(AGENCIES_TASK, campaign_id, ids)

"""Appeals through the API: draft, edit, review, send, file and decide with the same rules as the pages;
a refused change is a 400 keyed by field and changes nothing; roles as on the pages; all in the schema."""

import datetime
import json

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from foia.appeals.models import Appeal, AppealStatus
from foia.models import Communication, Status

from .factories import AgencyFactory, LawFactory, RecordsRequestFactory

PAST = datetime.timedelta(days=3)


def _request(owner, state="PA", status=Status.SENT, exemptions="", due_on=None, **extra):
    LawFactory(jurisdiction=state, law_name=f"{state} Right-to-Know Law", citation=f"{state} law")
    return RecordsRequestFactory(
        agency=AgencyFactory(state=state, email=f"records@{state.lower()}.example"),
        owner=owner, status=status, exemptions_cited=exemptions,
        sent_at=timezone.now() - datetime.timedelta(days=30),
        due_on=due_on or timezone.localdate() - PAST, **extra,
    )  # fmt: skip


def post(client, url, body=None, user=None, method="post"):
    if user is not None:
        client.force_login(user)
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


def test_a_reporter_drafts_an_appeal_of_a_deemed_denial_and_files_it(client, alice):
    rr = _request(alice)
    response = post(client, "/api/appeals/", {"request": rr.pk}, alice)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["basis"], data["status"], data["body"], data["reviewed"]) == (
        "deemed", "drafted", "Office of Open Records", False,
    )  # fmt: skip
    appeal_id = data["id"]
    filed = post(client, f"/api/appeals/{appeal_id}/file/", {"via": "portal", "reference": "OOR-7"})
    assert filed.status_code == 200, filed.content
    assert filed.json()["status"] == "filed" and filed.json()["decision_due_on"]
    rr.refresh_from_db()
    assert rr.status == Status.APPEALED  # a deemed denial's request reflects the appeal too
    decided = post(client, f"/api/appeals/{appeal_id}/transition/", {"to_status": "granted"})
    assert decided.status_code == 200 and decided.json()["status"] == "granted"
    rr.refresh_from_db()
    assert rr.status == Status.PROCESSING


def test_edit_review_and_send_go_through_the_same_rules(
    client, alice, sent_tasks, django_capture_on_commit_callbacks
):
    rr = _request(alice, state="NY", status=Status.REJECTED)  # a rejection recorded without exemptions
    appeal_id = post(client, "/api/appeals/", {"request": rr.pk}, alice).json()["id"]
    appeal = Appeal.objects.get(pk=appeal_id)
    assert "[Enter the exemptions" in appeal.letter  # the template asks for them
    refused = post(client, f"/api/appeals/{appeal_id}/review/")
    assert refused.status_code == 400 and "Enter the exemptions" in refused.json()["exemptions"][0]
    not_reviewed = post(client, f"/api/appeals/{appeal_id}/send/")
    assert not_reviewed.status_code == 400 and "not reviewed yet" in not_reviewed.json()["status"][0]
    edited = post(client, f"/api/appeals/{appeal_id}/", {"exemptions": "§ 87(2)(e)"}, method="patch")
    assert edited.status_code == 200 and "§ 87(2)(e)" in edited.json()["letter"]
    assert post(client, f"/api/appeals/{appeal_id}/review/").json()["reviewed"] is True
    # An edit resets the review: a changed letter is read again before it goes out.
    again = post(client, f"/api/appeals/{appeal_id}/", {"to_address": "appeals@ny.example"}, method="patch")
    assert again.json()["reviewed"] is False and again.json()["to_address"] == "appeals@ny.example"
    assert post(client, f"/api/appeals/{appeal_id}/review/").json()["reviewed"] is True
    with django_capture_on_commit_callbacks(execute=True):
        sent = post(client, f"/api/appeals/{appeal_id}/send/")
    assert sent.status_code == 202
    assert Communication.objects.get(idempotency_key=f"appeal:{rr.pk}:{appeal_id}").to_address
    assert [name for name, _ in sent_tasks] == ["foia.tasks.outbound.send_message"]
    twice = post(client, f"/api/appeals/{appeal_id}/send/")
    assert twice.status_code == 400 and "already queued" in twice.json()["status"][0]


@pytest.mark.parametrize(
    ("path", "body", "field", "words"),
    [
        ("transition/", {"to_status": "granted"}, "to_status", "Cannot go from drafted to granted"),
        ("transition/", {"to_status": "filed"}, "to_status", "filed by sending it"),
        ("transition/", {"to_status": "won"}, "to_status", "not a valid choice"),
        ("transition/", {"to_status": "withdrawn", "colour": "red"}, "colour", "Unknown field"),
        ("transition/", {"to_status": "withdrawn", "on": "2999-01-01"}, "on", "in the future"),
        ("file/", {"via": "email"}, "via", "not a valid choice"),
        ("file/", {"via": "mail", "filed_on": "2999-01-01"}, "filed_on", "in the future"),
        ("file/", {"via": "mail", "received_on": "yesterday"}, "received_on", "Date has wrong format"),
        ("", {"template_source": "{{ appeal.judge }}"}, "template_source", 'unknown variable "appeal.judge"'),
        ("", {"to_address": "not an address"}, "to_address", "valid email"),
    ],
)
def test_bad_changes_are_a_400_keyed_by_field_and_change_nothing(client, alice, path, body, field, words):
    rr = _request(alice)
    appeal_id = post(client, "/api/appeals/", {"request": rr.pk}, alice).json()["id"]
    before = Appeal.objects.filter(pk=appeal_id).values().get()
    response = post(client, f"/api/appeals/{appeal_id}/{path}", body, method="patch" if not path else "post")
    assert response.status_code == 400, response.content
    assert words in " ".join(response.json()[field]), response.json()
    assert Appeal.objects.filter(pk=appeal_id).values().get() == before


def test_a_filed_appeal_cannot_be_filed_again_or_edited(client, alice):
    rr = _request(alice)
    appeal_id = post(client, "/api/appeals/", {"request": rr.pk}, alice).json()["id"]
    post(client, f"/api/appeals/{appeal_id}/file/", {"via": "mail"})
    again = post(client, f"/api/appeals/{appeal_id}/file/", {"via": "mail"})
    assert again.status_code == 400 and "already filed" in again.json()["status"][0]
    edit = post(client, f"/api/appeals/{appeal_id}/", {"exemptions": "x"}, method="patch")
    assert edit.status_code == 400 and "Only a draft" in edit.json()["status"][0]


def test_drafting_bad_input_is_refused_with_the_reason(client, alice, bob):
    not_late = _request(
        alice, status=Status.ACKNOWLEDGED, due_on=timezone.localdate() + datetime.timedelta(9)
    )
    response = post(client, "/api/appeals/", {"request": not_late.pk}, alice)
    assert response.status_code == 400
    assert "never denied and is not past its deadline" in response.json()["request"][0]
    deemed = _request(alice, state="NY")
    future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    response = post(client, "/api/appeals/", {"request": deemed.pk, "decided_on": future})
    assert response.status_code == 400 and "in the future" in response.json()["decided_on"][0]
    assert post(client, "/api/appeals/", {"request": deemed.pk}).status_code == 201
    twice = post(client, "/api/appeals/", {"request": deemed.pk})
    assert twice.status_code == 400 and "already" in twice.json()["request"][0]
    assert post(client, "/api/appeals/", {"request": 999999}).json()["request"][0].startswith("No request")
    assert post(client, "/api/appeals/", {"request": "x"}).status_code == 400
    assert Appeal.objects.count() == 1


def test_a_late_appeal_is_drafted_flagged_and_a_court_only_state_gets_a_demand(client, alice):
    late = _request(alice, due_on=timezone.localdate() - datetime.timedelta(days=60))
    data = post(client, "/api/appeals/", {"request": late.pk}, alice).json()
    assert data["is_late"] is True and data["window_closes_on"] < timezone.localdate().isoformat()
    court = _request(alice, state="CA")
    data = post(client, "/api/appeals/", {"request": court.pk}).json()
    assert data["kind"] == "demand" and data["window_closes_on"] is None
    refused = post(client, f"/api/appeals/{data['id']}/file/", {"via": "mail"})
    assert refused.status_code == 400 and "not filed as an appeal" in refused.json()["kind"][0]


def test_roles_viewers_change_nothing_and_reporters_only_their_own(client, alice, bob, erin, victor):
    rr = _request(alice)
    assert post(client, "/api/appeals/", {"request": rr.pk}, victor).status_code == 403
    assert post(client, "/api/appeals/", {"request": rr.pk}, bob).status_code == 403
    appeal_id = post(client, "/api/appeals/", {"request": rr.pk}, alice).json()["id"]
    for user in (victor, bob):
        client.force_login(user)
        for path, body in [("review/", {}), ("send/", {}), ("file/", {"via": "mail"}), ("transition/", {})]:
            assert post(client, f"/api/appeals/{appeal_id}/{path}", body).status_code == 403, (user, path)
        assert (
            post(client, f"/api/appeals/{appeal_id}/", {"exemptions": "x"}, method="patch").status_code == 403
        )
    assert Appeal.objects.get(pk=appeal_id).status == AppealStatus.DRAFTED
    assert not Appeal.objects.get(pk=appeal_id).is_reviewed
    assert post(client, f"/api/appeals/{appeal_id}/review/", {}, erin).status_code == 200  # editors: any
    anonymous = type(client)()
    assert post(anonymous, "/api/appeals/", {"request": rr.pk}).status_code in (401, 403)


def test_the_appeal_writes_are_in_the_openapi_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    assert "post" in paths["/api/appeals/"] and "patch" in paths["/api/appeals/{id}/"]
    for action in ("review", "send", "file", "transition"):
        assert "post" in paths[f"/api/appeals/{{id}}/{action}/"], action
    body = paths["/api/appeals/{id}/transition/"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/AppealTransitionRequest")
    assert "put" not in paths["/api/appeals/{id}/"] and "delete" not in paths["/api/appeals/{id}/"]

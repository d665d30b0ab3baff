"""The role matrix: every URL pattern of the project, walked from the URL conf, against every role.

- An anonymous visitor reaches nothing but the login page (plus /healthz and the signed inbound-mail
  webhook, which are login_not_required by design and refuse unsigned posts); the API answers 401/403 JSON.
- A viewer gets 403 (or 405 where the URL takes no POST) on every POST, and no request of theirs changes
  a single row, GET or POST.
- A reporter cannot change another reporter's request or campaign; an editor can.
- Django's admin is for staff only.

Routes are found by walking the URL conf, so a view added later is covered without editing this file; a
URL whose parameters this file cannot fill fails loudly (see `url_kwargs`).
"""

import datetime
import hashlib
import re

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from foia.models import (
    Agency,
    AgencyImport,
    Appeal,
    AppealBatch,
    BulkRun,
    BulkStatus,
    CampaignQuestion,
    Direction,
    Document,
    DocumentKind,
    FindingCell,
    ImportStatus,
    RequestDocument,
    Status,
)

from .factories import AgencyFactory, CampaignFactory, CommunicationFactory, LawFactory, RecordsRequestFactory

# login_not_required by design; each is checked on its own below.
PUBLIC = {"login", "healthz", "inbound-email"}


def walk(patterns, prefix=""):
    """(route text, name, pattern) for every named URL outside the Django admin."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + str(entry.pattern).lstrip("^").rstrip("$"), entry.name, entry


def param_names(route: str) -> list[str]:
    """The parameters of the whole route, prefixes included (`requests/<int:pk>/letter/send/`)."""
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


ROUTES = {name: (route, entry) for route, name, entry in walk(get_resolver().url_patterns)}

# Which object a <pk> in a route means, by the route's beginning (longest first).
PK_OWNERS = [
    ("dashboard/campaigns/", "campaign"),
    ("requests/bulk/runs/", "bulk_run"),
    ("api/campaigns/", "campaign"),
    ("api/agencies/", "agency"),
    ("api/requests/", "request"),
    ("api/communications/", "communication"),
    ("api/documents/", "link"),
    ("api/questions/", "question"),
    ("api/findings/", "cell"),
    ("api/appeals/", "appeal"),
    ("campaigns/", "campaign"),
    ("agencies/import/", "agency_import"),
    ("agencies/", "agency"),
    ("requests/", "request"),
    ("documents/", "document"),
    ("mail/", "communication"),
]


SECOND_PARAMS = {"question_pk": "question", "cell_pk": "cell", "document_pk": "document"}


@pytest.fixture
def world(db, alice, bob, erin, victor, ada):
    """A campaign of Alice's with her sent request, one of Bob's, a reply, a document, an unsorted message."""
    LawFactory()
    sent_at = timezone.now() - datetime.timedelta(days=4)
    campaign = CampaignFactory(owner=alice)
    agency = AgencyFactory()
    mine = RecordsRequestFactory(
        campaign=campaign, agency=agency, owner=alice, status=Status.SENT, sent_at=sent_at,
        due_on=timezone.localdate() + datetime.timedelta(days=3),
    )  # fmt: skip
    bobs = RecordsRequestFactory(campaign=campaign, owner=bob, status=Status.SENT, sent_at=sent_at)
    campaign.agencies.add(agency, bobs.agency)
    bobs_campaign = CampaignFactory(owner=bob)
    communication = CommunicationFactory(request=mine, direction=Direction.INCOMING)
    unsorted = CommunicationFactory(
        request=None, direction=Direction.INCOMING, subject="Unsorted reply",
        raw_message=ContentFile(b"From: clerk@city.example\r\nSubject: Unsorted\r\n\r\nHi", name="u.eml"),
    )  # fmt: skip
    content = b"%PDF-1.4 matrix"
    document = Document.objects.create(
        sha256=hashlib.sha256(content).hexdigest(), file=ContentFile(content, name="m.pdf"),
        size=len(content), mime_type="application/pdf", original_name="m.pdf", kind=DocumentKind.CONTRACT,
    )  # fmt: skip
    link = RequestDocument.objects.create(request=mine, document=document, filename="m.pdf")
    agency_import = AgencyImport.objects.create(
        owner=alice, filename="alice.csv", status=ImportStatus.CHECKED, rows_total=1, created=1,
        rows={"columns": {"agency": "name", "state": "state"},
              "rows": [[2, {"name": "Troy PD", "state": "MI"}, {}]]},
    )  # fmt: skip
    bulk_run = BulkRun.objects.create(action="withdraw", created_by=alice, total=1, status=BulkStatus.DONE)
    question = CampaignQuestion.objects.create(campaign=campaign, slug="promote", question="?", phrases="x")
    cell = FindingCell.objects.create(question=question, agency=agency, answer="no", reason="none")
    appeal = Appeal.objects.create(
        request=mine, basis="deemed", decided_on=datetime.date(2026, 3, 2), jurisdiction="MI", route="agency",
        body="Head of the public body", subject="Appeal", letter="Dear head",
    )  # fmt: skip
    return {
        "agency_import": agency_import, "bulk_run": bulk_run, "question": question, "cell": cell,
        "campaign": campaign, "bobs_campaign": bobs_campaign, "agency": agency, "request": mine,
        "bobs_request": bobs, "communication": communication, "unsorted": unsorted, "document": document,
        "link": link, "appeal": appeal,
        "appeal_batch": AppealBatch.objects.create(
            campaign=campaign, request_ids=[mine.pk], total=1, done=1, created_by=alice, finished_at=sent_at
        ),
    }  # fmt: skip


def url_kwargs(name: str, world, overrides: dict | None = None) -> dict:
    route, entry = ROUTES[name]
    kwargs = {}
    for param in param_names(route):
        if param == "token":  # an agency import's progress token; roles are checked before it is looked up
            kwargs["token"] = "0" * 32
            continue
        if param in SECOND_PARAMS:  # a findings page's question, cell or document within the campaign
            kwargs[param] = world[SECOND_PARAMS[param]].pk
            continue
        if param == "appeal_id":  # an appeal of the request named by <pk>
            kwargs["appeal_id"] = world["appeal"].pk
            continue
        if param == "batch_id":  # a batch of appeals drafted by Alice
            kwargs["batch_id"] = world["appeal_batch"].pk
            continue
        if param != "pk":
            raise AssertionError(f"{name} ({route}): add a value for <{param}> to tests/test_roles_matrix.py")
        owner = next((kind for start, kind in PK_OWNERS if route.startswith(start)), None)
        if owner is None:
            raise AssertionError(f"{name} ({route}): say which object its <pk> is in PK_OWNERS")
        kwargs["pk"] = (overrides or {}).get(owner, world[owner]).pk
    return kwargs


def url_for(name: str, world, **overrides) -> str:
    return reverse(name, kwargs=url_kwargs(name, world, overrides))


def snapshot() -> dict:
    """Every row of every project table (the world is small), to prove nothing changed."""
    from rest_framework.authtoken.models import Token

    models = [*apps.get_app_config("foia").get_models(), Token]
    state = {}
    for model in models:
        rows = list(model.objects.order_by("pk").values())
        for row in rows:
            row.pop("last_login", None)
        state[model._meta.label] = rows
    return state


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response.url.startswith("/accounts/login/")


def is_api(name: str) -> bool:
    """The REST API answers 401/403 JSON; its docs pages are ordinary pages behind the login."""
    return ROUTES[name][0].startswith("api/") and name not in {"api-docs", "api-redoc"}


NAMES = sorted(ROUTES)


# --- Anonymous ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [name for name in NAMES if name not in PUBLIC])
def test_anonymous_reaches_nothing_but_the_login_page(client, world, name):
    url = url_for(name, world)
    before = snapshot()
    for method in (client.get, client.post):
        response = method(url)
        if is_api(name):
            assert response.status_code in (401, 403), (name, method.__name__, response.status_code)
        else:
            assert is_login_redirect(response), (name, method.__name__, response.status_code)
    assert snapshot() == before


def test_public_routes_are_only_login_health_and_the_signed_webhook(client, world, settings):
    settings.FOIA_INBOUND_SECRET = "matrix-secret"
    public = {
        name
        for name, (_route, entry) in ROUTES.items()
        if not getattr(entry.callback, "login_required", True)
    }
    api = {name for name in public if is_api(name)}
    assert public - api == PUBLIC
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200
    before = snapshot()
    unsigned = client.post(reverse("inbound-email"), b"From: x@y\r\n\r\nhi", content_type="message/rfc822")
    assert unsigned.status_code == 403
    assert snapshot() == before


# Read-only pages that do not restrict the method, so a POST is answered like a GET. Harmless (the
# snapshot proves nothing changes) but listed one by one, so a changing view can never hide here.
READ_VIEWS_ANSWERING_POST = {
    "agency-list", "agency-detail", "campaign-list", "campaign-detail", "campaign-checklist",
    "campaign-progress", "campaign-zip", "campaign-merged", "letter-preview", "letter-pdf", "request-list",
    "request-overdue", "request-detail", "document-list", "document-detail", "document-download",
    "communication-detail", "communication-raw", "mail-unsorted", "search", "clause-finder",
    "agency-needs-contact", "agency-needs-contact-csv",
}  # fmt: skip


# Pages about the person themself, not the newsroom's data: a viewer may make their own (read-only) API token.
PERSONAL = {"api-token"}


# --- Viewer -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [name for name in NAMES if name not in PUBLIC | {"logout"}])
def test_viewer_reads_but_never_changes_anything(client, world, victor, name):
    client.force_login(victor)
    url = url_for(name, world)
    before = snapshot()
    read = client.get(url)
    assert read.status_code in (200, 302, 400, 403, 404, 405), (name, "GET", read.status_code)
    posted = client.post(url, {"status": "completed", "to_status": "completed", "title": "Changed"})
    if name in PERSONAL:
        assert posted.status_code < 500, (name, "POST", posted.status_code)
        after = snapshot()
        mine = [row for row in after["authtoken.Token"] if row["user_id"] == victor.pk]
        after["authtoken.Token"] = [row for row in after["authtoken.Token"] if row["user_id"] != victor.pk]
        assert after == before and len(mine) <= 1, f"{name}: changed more than the viewer's own token"
        return
    if name in READ_VIEWS_ANSWERING_POST:
        assert posted.status_code < 500, (name, "POST", posted.status_code)
    else:
        assert posted.status_code in (403, 405), (name, "POST", posted.status_code)
    if is_api(name):
        for method in (client.put, client.patch, client.delete):
            assert method(url, "{}", content_type="application/json").status_code in (403, 405), name
    assert snapshot() == before, f"{name}: a viewer's request changed the database"


# --- Reporters and editors: other people's requests and campaigns ---------------------------------------


def changing_routes(kind: str) -> list[str]:
    """Routes whose <pk> is a request (or campaign) and that accept POST: the ones that change it."""
    names = []
    for name, (route, entry) in ROUTES.items():
        owner = next((k for start, k in PK_OWNERS if route.startswith(start)), None)
        if owner == kind and "pk" in param_names(route) and name not in READ_ONLY | PER_REQUEST:
            names.append(name)
    return sorted(names)


# GET-only pages with a request or campaign <pk> (a POST is refused with 405 for everyone).
READ_ONLY = {
    "request-detail", "letter-pdf", "letter-preview", "campaign-detail", "campaign-progress", "campaign-zip",
    "campaign-merged", "campaign-checklist", "campaign-dashboard", "campaign-export-csv",
    "campaign-export-json", "campaign-documents-zip", "api-request-detail", "api-campaign-detail",
    "findings-matrix", "findings-amounts", "findings-references", "findings-redline",
    "appeal-detail", "appeal-pdf",
}  # fmt: skip


# Campaign-wide actions that act only on the requests the person may work (checked per request below).
PER_REQUEST = {"campaign-send"}


def post(client, name, url):
    if is_api(name):
        body = '{"to_status": "acknowledged", "agency_ids": [], "title": "Changed"}'
        method = client.patch if name == "api-campaign-detail" else client.post
        return method(url, body, content_type="application/json")
    return client.post(url, {"to_status": "acknowledged", "status": "acknowledged", "note": "x", "text": "x"})


@pytest.mark.parametrize("name", changing_routes("request"))
def test_a_reporter_cannot_change_another_reporters_request(client, world, bob, name):
    client.force_login(bob)
    before = snapshot()
    response = post(client, name, url_for(name, world))  # Alice's request
    assert response.status_code == 403, (name, response.status_code)
    assert snapshot() == before


@pytest.mark.parametrize("name", changing_routes("request"))
def test_the_owner_and_an_editor_may_change_a_request(client, world, alice, erin, name):
    for person in (alice, erin):
        client.force_login(person)
        response = post(client, name, url_for(name, world))
        assert response.status_code != 403, (name, person.username)
        assert response.status_code < 500, (name, person.username, response.status_code)


@pytest.mark.parametrize("name", changing_routes("campaign"))
def test_a_reporter_cannot_change_another_reporters_campaign(client, world, bob, name):
    client.force_login(bob)
    before = snapshot()
    response = post(client, name, url_for(name, world))  # Alice's campaign
    assert response.status_code == 403, (name, response.status_code)
    assert snapshot() == before


@pytest.mark.parametrize("name", changing_routes("campaign"))
def test_the_owner_and_an_editor_may_change_a_campaign(client, world, alice, erin, name):
    for person in (alice, erin):
        client.force_login(person)
        response = post(client, name, url_for(name, world))
        assert response.status_code != 403, (name, person.username)
        assert response.status_code < 500, (name, person.username, response.status_code)


def test_sending_a_campaign_sends_only_the_requests_the_person_may_work(client, world, alice, bob, erin):
    draft = RecordsRequestFactory(
        campaign=world["campaign"], owner=alice, status=Status.DRAFT, letter_subject="Request",
        letter_body="Dear clerk", letter_state="ready",
    )  # fmt: skip
    url = url_for("campaign-send", world)

    def alices_draft():
        return type(draft).objects.filter(pk=draft.pk).values().get()

    before = alices_draft()
    client.force_login(bob)
    assert client.post(url).status_code in (302, 403)
    assert alices_draft() == before
    client.force_login(erin)
    assert client.post(url).status_code == 302


def test_a_reporter_cannot_file_mail_on_another_reporters_request(client, world, bob, erin):
    url = url_for("mail-assign", world, communication=world["unsorted"])
    client.force_login(bob)
    assert client.post(url, {"records_request": world["request"].pk}).status_code == 403
    assert (
        RequestDocument.objects.count() == 1
        and world["unsorted"].__class__.objects.get(pk=world["unsorted"].pk).request_id is None
    )
    client.force_login(erin)
    assert client.post(url, {"records_request": world["request"].pk}).status_code == 302


# --- Agency imports and agency contacts (issue 14 item 6) -------------------------------------------------


@pytest.mark.parametrize("who", ["bob", "erin"])
def test_an_import_is_seen_and_confirmed_only_by_its_owner(client, world, request, who):
    client.force_login(request.getfixturevalue(who))
    before = snapshot()
    for name in ("agency-import-detail", "agency-import-status"):
        assert client.get(url_for(name, world)).status_code == 404, (who, name)
    assert client.post(url_for("agency-import-confirm", world)).status_code == 404
    assert snapshot() == before


def test_the_owner_confirms_their_import(client, world, alice):
    client.force_login(alice)
    assert client.post(url_for("agency-import-confirm", world)).status_code == 302
    assert Agency.objects.filter(name="Troy PD").exists()


def test_a_reporter_cannot_import_into_another_reporters_campaign(client, world, alice, bob):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(bob)
    before = snapshot()
    for fields in ({"campaign": world["campaign"].pk}, {"new_campaign": world["campaign"].title.upper()}):
        file = SimpleUploadedFile("a.csv", b"agency,state\nTroy PD,MI\n", "text/csv")
        response = client.post(reverse("agency-import"), {"file": file, **fields})
        assert response.status_code == 200 and response.context["form"].errors, fields
    assert snapshot() == before


@pytest.mark.parametrize("name", ["agency-edit", "agency-contact"])
def test_a_reporter_cannot_change_a_shared_agencys_stored_contact_an_editor_can(
    client, world, bob, erin, name
):
    agency = world["agency"]
    url = url_for(name, world)
    prefix = f"a{agency.pk}-" if name == "agency-contact" else ""
    data = {f"{prefix}email": "attacker@evil.example", "kind": "police"}
    client.force_login(bob)
    before = snapshot()
    assert client.post(url, data).status_code in (200, 302)
    assert snapshot() == before
    client.force_login(erin)
    assert client.post(url, data).status_code == 302
    agency.refresh_from_db()
    assert (agency.email, agency.contact_changed_by) == ("attacker@evil.example", erin)


# --- Mail filing and shared documents (issue 14 item 6) --------------------------------------------------


def test_a_reporters_mail_upload_never_files_onto_another_reporters_request(client, world, bob, erin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from foia.models import Communication

    from .factories import eml_bytes

    alices = world["request"]
    raw = eml_bytes(
        subject=f"[{alices.tracking_number}] records", message_id="<upload@matrix>",
        attachments=[("records.txt", b"plain records text", "text/plain")],
    )  # fmt: skip
    client.force_login(bob)
    for fallback in ("", alices.pk):  # matched by its tag, or named as the request to file it on
        response = client.post(
            reverse("mail-upload"), {"file": SimpleUploadedFile("r.eml", raw), "records_request": fallback}
        )
        assert response.status_code in (302, 403)
    stored = Communication.objects.get(message_id="<upload@matrix>")
    assert stored.request_id is None  # waits in the unsorted inbox for Alice or an editor
    assert RequestDocument.objects.filter(request=alices).count() == 1
    client.force_login(erin)
    url = url_for("mail-assign", world, communication=stored)
    assert client.post(url, {"records_request": alices.pk}).status_code == 302
    assert RequestDocument.objects.filter(request=alices).count() == 2


def test_uploading_the_same_bytes_does_not_let_a_reporter_relabel_a_shared_document(
    client, world, bob, alice
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    document = world["document"]
    with document.file.open("rb") as handle:
        content = handle.read()
    client.force_login(bob)
    bobs = world["bobs_request"]
    upload = SimpleUploadedFile("same.pdf", content)
    client.post(reverse("document-upload", args=[bobs.pk]), {"files": [upload]})
    assert RequestDocument.objects.filter(request=bobs, document=document).exists()  # linked, shared
    response = client.post(reverse("document-kind", args=[document.pk]), {"kind": DocumentKind.DENIAL})
    assert response.status_code == 403
    document.refresh_from_db()
    assert document.kind == DocumentKind.CONTRACT
    client.force_login(alice)  # Alice cannot relabel Bob's copy either
    assert client.post(reverse("document-kind", args=[document.pk]), {"kind": "denial"}).status_code == 403


# --- Django admin --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"), [("victor", False), ("alice", False), ("erin", True), ("ada", True)]
)
def test_django_admin_is_for_staff_only(client, world, request, who, allowed):
    client.force_login(request.getfixturevalue(who))
    for url in ("/admin/", "/admin/foia/law/", "/admin/foia/recordsrequest/"):
        response = client.get(url)
        assert (response.status_code == 200) is allowed, (who, url, response.status_code)

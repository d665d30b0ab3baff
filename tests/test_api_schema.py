"""The OpenAPI schema checked against the running API (schemathesis, in-process over WSGI).

Every GET operation of the schema is called with generated parameters by an authenticated token; each
response must not be a server error and must match the schema. Examples are few so this stays fast.
"""

import datetime
import json

import pytest
import schemathesis
from django.core.files.base import ContentFile
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from foia.models import Document, DocumentKind, RequestDocument, RequestEvent, Status

from .factories import CommunicationFactory, RecordsRequestFactory


def generated_schema() -> dict:
    """The schema /api/schema/ serves, built from the code (collection time has no database)."""
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))


schema = schemathesis.openapi.from_dict(generated_schema()).include(method="GET")
schema.app = get_wsgi_application()


@pytest.fixture
def api_token(db, victor):
    """A viewer's token, and a few rows so detail and list endpoints have something to return."""
    records_request = RecordsRequestFactory(
        pk=1, status=Status.SENT, sent_at=timezone.now() - datetime.timedelta(days=3), owner=victor
    )
    RequestEvent.objects.create(request=records_request, kind="note", message="A note")
    CommunicationFactory(request=records_request)
    records_request.campaign.agencies.add(records_request.agency)
    document = Document.objects.create(
        pk=1,
        sha256="0" * 64,
        file=ContentFile(b"%PDF-1.4", name="a.pdf"),
        size=8,
        mime_type="application/pdf",
        original_name="a.pdf",
        kind=DocumentKind.CONTRACT,
    )
    RequestDocument.objects.create(pk=1, request=records_request, document=document, filename="a.pdf")
    # Like django.test.Client: keep the test's database connection open across in-process WSGI requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield Token.objects.create(user=victor).key
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_get_endpoints_conform_to_the_schema(case, api_token):
    case.call_and_validate(
        headers={"Authorization": f"Token {api_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )


def test_the_served_schema_is_the_one_tested(client, victor):
    token = Token.objects.create(user=victor).key
    served = client.get("/api/schema/", {"format": "json"}, HTTP_AUTHORIZATION=f"Token {token}")
    assert served.status_code == 200
    assert served.json()["paths"] == generated_schema()["paths"]


def test_the_schema_is_valid_openapi_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/stats/" in (tmp_path / "schema.yaml").read_text()

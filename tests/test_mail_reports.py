"""A bounce marks the agency's address bad (the request needs a contact); a portal auto-reply suggests it."""

from email.message import EmailMessage

import pytest
from django.urls import reverse

from foia.mail import mail_ingest
from foia.models import Agency, Direction, RequestEvent

from .factories import AgencyFactory, CampaignFactory, CommunicationFactory, RecordsRequestFactory, eml_bytes


@pytest.fixture
def records_request(db, alice):
    agency = AgencyFactory(email="foia@springfield.example", name="Springfield PD")
    campaign = CampaignFactory(owner=alice)
    campaign.agencies.add(agency)
    records_request = RecordsRequestFactory(
        tracking_number="RING-0007", reply_token="tok7", owner=alice, agency=agency, campaign=campaign
    )
    CommunicationFactory(
        request=records_request, direction=Direction.OUTGOING, message_id="<letter-7@newsroom.example>"
    )
    return records_request


def dsn(recipient: str, *, original_id: str = "<letter-7@newsroom.example>") -> bytes:
    """A delivery status notification (RFC 3464) as Postfix sends it, quoting our letter's headers."""
    boundary = "dsnboundary"
    return (
        "From: MAILER-DAEMON@mx.newsroom.example (Mail Delivery System)\r\n"
        "To: records@newsroom.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Date: Tue, 24 Nov 2026 10:00:00 -0500\r\n"
        "Message-ID: <bounce-1@mx.newsroom.example>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "MIME-Version: 1.0\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\n"
        f"I'm sorry to have to inform you that your message could not be delivered to {recipient}.\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.newsroom.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: records@newsroom.example\r\n"
        f"To: {recipient}\r\n"
        "Subject: Public records request\r\n"
        f"Message-ID: {original_id}\r\n\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def test_a_bounce_marks_the_agencys_email_bad_and_the_agency_needs_a_contact(records_request):
    result = mail_ingest(raw=dsn("foia@springfield.example"))
    assert result.communication.request == records_request and result.matched_by == "our message-id"
    agency = Agency.objects.get(pk=records_request.agency_id)
    assert agency.email_bounced and agency.needs_contact and agency.contact_method == ""
    assert Agency.objects.needing_contact().filter(pk=agency.pk).exists()
    assert agency in records_request.campaign.agencies.needing_contact_for(records_request.campaign)
    event = RequestEvent.objects.get(request=records_request, kind="note")
    assert "bounced" in event.message and "550 5.1.1" in event.message


def test_the_needs_contact_queue_lists_the_bounced_agency(records_request, alice_client):
    mail_ingest(raw=dsn("foia@springfield.example"))
    page = alice_client.get(reverse("agency-needs-contact"), {"campaign": records_request.campaign_id})
    assert "Springfield PD" in page.content.decode() and "bounced" in page.content.decode()


def test_a_bounce_for_another_address_leaves_the_agency_alone(records_request):
    mail_ingest(raw=dsn("someone-else@springfield.example"))
    assert not Agency.objects.get(pk=records_request.agency_id).email_bounced


def test_a_new_email_typed_in_makes_the_agency_reachable_again(records_request, alice_client):
    mail_ingest(raw=dsn("foia@springfield.example"))
    agency = Agency.objects.get(pk=records_request.agency_id)
    # A reporter may replace an address that bounced (it is no contact), as she may fill an empty one.
    response = alice_client.post(
        reverse("agency-contact", args=[agency.pk]), {f"a{agency.pk}-email": "records@springfield.example"}
    )
    assert response.status_code == 302
    agency.refresh_from_db()
    assert agency.email == "records@springfield.example" and not agency.email_bounced
    assert not agency.needs_contact and agency.contact_method == "email"


def test_a_plain_mailer_daemon_note_counts_as_a_bounce(records_request):
    raw = eml_bytes(
        sender="MAILER-DAEMON@mail.springfield.example",
        subject="Undeliverable: [RING-0007] Public records request",
        body="Delivery has failed to these recipients: foia@springfield.example",
    )
    mail_ingest(raw=raw)
    assert Agency.objects.get(pk=records_request.agency_id).email_bounced


def portal_auto_reply(link: str, *, html: bool = False, sender="foia@springfield.example") -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = sender, "records+tok7@newsroom.example"
    message["Subject"], message["Auto-Submitted"] = "Automatic reply: Public records request", "auto-replied"
    message["Message-ID"] = f"<auto-{abs(hash(link))}@springfield.example>"
    text = f"Thank you. We only accept requests through our portal: {link} . This mailbox is not monitored."
    if html:
        message.set_content(f'<p>Please use <a href="{link}">our records center</a>.</p>', subtype="html")
    else:
        message.set_content(text)
    return message.as_bytes()


@pytest.mark.parametrize(
    ("link", "name"),
    [
        ("https://springfieldil.govqa.us/WEBAPP/_rs/(S(x))/supporthome.aspx", "GovQA"),
        ("https://springfield.nextrequest.com/requests/new", "NextRequest"),
        ("https://springfieldpd.justfoia.com/publicportal/home/newrequest", "JustFOIA"),
    ],
)
def test_a_portal_auto_reply_suggests_the_portal_without_switching(records_request, link, name):
    mail_ingest(raw=portal_auto_reply(link))
    agency = Agency.objects.get(pk=records_request.agency_id)
    assert (agency.portal_suggestion_url, agency.portal_suggestion_name) == (link, name)
    assert agency.portal_url == "" and agency.email == "foia@springfield.example"  # nothing switched
    event = RequestEvent.objects.get(request=records_request, message__contains=name)
    assert "automatic reply" in event.message


def test_a_portal_link_inside_html_is_found(records_request):
    mail_ingest(raw=portal_auto_reply("https://springfield.nextrequest.com/", html=True))
    assert Agency.objects.get(pk=records_request.agency_id).portal_suggestion_name == "NextRequest"


def test_a_stranger_using_the_tag_cannot_plant_a_portal_suggestion(records_request):
    raw = eml_bytes(
        sender="phisher@evil.example",
        subject="[RING-0007] new portal",
        body="Use https://evil.nextrequest.com/ from now on",
    )
    mail_ingest(raw=raw)
    assert Agency.objects.get(pk=records_request.agency_id).portal_suggestion_url == ""


def test_an_editor_accepts_the_suggestion_and_the_agency_switches(records_request, erin_client):
    mail_ingest(raw=portal_auto_reply("https://springfield.nextrequest.com/requests/new"))
    agency = Agency.objects.get(pk=records_request.agency_id)
    url = reverse("agency-portal-suggestion", args=[agency.pk])
    assert erin_client.post(url, {"action": "accept"}).status_code == 302
    agency.refresh_from_db()
    assert agency.portal_url == "https://springfield.nextrequest.com/requests/new"
    assert agency.contact_method == "portal" and agency.portal_suggestion_url == ""
    assert "foia@springfield.example" in agency.notes and agency.contact_changed_by.username == "erin"


def test_a_reporter_cannot_switch_a_working_email_to_a_portal_but_may_dismiss(records_request, alice_client):
    mail_ingest(raw=portal_auto_reply("https://springfield.nextrequest.com/"))
    agency = Agency.objects.get(pk=records_request.agency_id)
    url = reverse("agency-portal-suggestion", args=[agency.pk])
    assert alice_client.post(url, {"action": "accept"}).status_code == 403
    assert alice_client.post(url, {"action": "dismiss"}).status_code == 302
    agency.refresh_from_db()
    assert agency.portal_url == "" and agency.portal_suggestion_url == ""


def test_the_agency_page_shows_the_suggestion(records_request, alice_client):
    mail_ingest(raw=portal_auto_reply("https://springfield.nextrequest.com/"))
    page = alice_client.get(reverse("agency-detail", args=[records_request.agency_id])).content.decode()
    assert "Switch to this portal" in page and "springfield.nextrequest.com" in page

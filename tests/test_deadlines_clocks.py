"""The legal clock of each case in issue 11, through `manage.py deadline` (the shipped law data) and through
the request's own lifecycle and page. Each test names the statute it checks."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from foia import deadlines
from foia.lifecycle import (
    request_mark_sent,
    request_record_receipt,
    request_transition,
    requests_recompute_due,
)
from foia.models import ClosedDay, Law, RequestEvent, RequestEventKind, Status
from foia.reminders import reminders_scan

from .factories import AgencyFactory, CampaignFactory, RecordsRequestFactory

D = datetime.date
ET = ZoneInfo("America/New_York")
KEYS = ["received", "acknowledge by", "rule", "skipped"]


@pytest.fixture
def laws(db):
    call_command("load_laws", stdout=io.StringIO())


def deadline(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("deadline", *args, stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines[1:]] == KEYS  # always these lines, in this order
    return lines


def field(lines: list[str], key: str) -> str:
    return next(line for line in lines if line.startswith(f"{key}: "))[len(key) + 2 :]


# --- Michigan: MCL 15.235(1), electronic transmission is received one business day later -------------------


@pytest.mark.parametrize("via", ["email", "fax", "portal"])
def test_michigan_electronic_requests_are_received_a_business_day_later_mcl_15_235_1(laws, via):
    lines = deadline("MI", "2026-03-09", "--via", via)
    assert lines[0] == "2026-03-17"
    assert field(lines, "received").startswith("2026-03-10 ")
    assert "MCL 15.235(1)" in field(lines, "received")
    assert field(lines, "rule").endswith("5 business days after receipt on 2026-03-10 (MCL 15.235(2))")


def test_michigan_hand_delivery_is_received_the_same_day_mcl_15_235_2(laws):
    assert deadline("MI", "2026-03-09", "--via", "hand")[0] == "2026-03-16"


def test_the_day_after_thanksgiving_is_a_michigan_business_day_mcl_435_101(laws):
    # Emailed Wed 11-25: received Fri 11-27 (Thanksgiving skipped, the Friday is not a legal holiday), +5.
    lines = deadline("MI", "2026-11-25")
    assert lines[0] == "2026-12-04"
    assert field(lines, "skipped") == "2026-11-26 Thanksgiving Day"
    assert D(2026, 11, 27) not in deadlines.legal_holidays("MI", 2026)
    assert D(2026, 12, 24) not in deadlines.legal_holidays("MI", 2026)


# --- Two-stage clocks ------------------------------------------------------------------------------------


def test_alabama_counts_15_business_days_from_the_acknowledgment_ala_code_36_12_44(laws):
    lines = deadline("AL", "2026-03-09")
    # Without --acknowledged: acknowledged on its last lawful day, 10 days after receipt (03-19).
    assert field(lines, "acknowledge by").startswith("2026-03-19 (")
    assert "Ala. Code § 36-12-44(a)(3)" in field(lines, "acknowledge by")
    assert lines[0] == "2026-04-09"
    lines = deadline("AL", "2026-03-09", "--acknowledged", "2026-03-11")
    assert lines[0] == "2026-04-01"  # 15 business days after 03-11
    assert "Ala. Code § 36-12-44(a)(4)" in field(lines, "rule")


def test_oregon_counts_10_business_days_from_the_acknowledgment_deadline_ors_192_329(laws):
    for extra in ((), ("--acknowledged", "2026-03-10")):
        lines = deadline("OR", "2026-03-09", *extra)
        assert field(lines, "acknowledge by").startswith("2026-03-16 (")  # ORS 192.324(2): 5 business days
        assert lines[0] == "2026-03-30"  # an early acknowledgment does not shorten ORS 192.329(2)


def test_new_york_gives_20_business_days_after_the_acknowledgment_pol_89_3_a(laws):
    lines = deadline("NY", "2026-03-09", "--acknowledged", "2026-03-12")
    assert field(lines, "acknowledge by").startswith("2026-03-16 (")
    assert lines[0] == "2026-04-09"


@pytest.mark.parametrize(
    ("state", "ack", "due"),
    [
        (
            "MD",
            "2026-03-23",
            "2026-04-08",
        ),  # Gen. Prov. § 4-203: notice 10 working days, 30 days from receipt
        ("NM", "2026-03-12", "2026-03-24"),  # NMSA § 14-2-8(D): 3 business days, 15 days from receipt
        ("WY", "2026-03-18", "2026-04-08"),  # Wyo. Stat. § 16-4-202(c): 7 business days, 30 calendar days
        ("ME", "2026-03-16", "2026-03-16"),  # 1 M.R.S. § 408-A(3)-(4): 5 working days
    ],
)
def test_other_two_clock_laws_count_both_clocks_from_receipt(laws, state, ack, due):
    lines = deadline(state, "2026-03-09", "--time", "08:00")
    assert field(lines, "acknowledge by").startswith(f"{ack} (")
    assert lines[0] == due


def test_south_carolina_older_records_get_20_business_days_and_35_calendar_s_c_code_30_4_30(laws):
    lines = deadline("SC", "2026-03-09")
    assert field(lines, "acknowledge by").startswith("2026-03-23 (")  # determination, 30-4-30(C)
    assert lines[0] == "2026-04-22"  # records 30 calendar days after it, 30-4-30(D)
    lines = deadline("SC", "2026-03-09", "--older-records")
    assert field(lines, "acknowledge by").startswith("2026-04-06 (")
    assert lines[0] == "2026-05-11"


def test_older_records_where_the_law_has_no_such_track_is_a_clear_error(laws):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="MI has no record-age track"):
        deadline("MI", "2026-03-09", "--older-records")


# --- Clarification: Texas restarts, federal FOIA pauses ----------------------------------------------------


def test_a_texas_clarification_restarts_the_ten_days_city_of_dallas_v_abbott(laws):
    lines = deadline("TX", "2026-03-09", "--paused", "2026-03-11", "--resumed", "2026-03-20")
    assert lines[0] == "2026-04-03"  # 10 business days from 03-20, not the 8 left when it paused (04-01)
    assert "City of Dallas v. Abbott" in field(lines, "rule")
    assert "Tex. Gov't Code § 552.221(d)" in field(lines, "rule")


def test_a_federal_clarification_tolls_the_clock_5_usc_552_a_6_a_ii(laws):
    lines = deadline("US", "2026-03-09", "--paused", "2026-03-11", "--resumed", "2026-03-20")
    assert lines[0] == "2026-04-15"  # 18 of 20 business days left, counted from 03-20
    assert "5 U.S.C. § 552(a)(6)(A)(ii)" in field(lines, "rule")


# --- Mail and the agency's time zone ------------------------------------------------------------------------


def test_mail_is_estimated_until_the_receipt_date_is_given(laws):
    lines = deadline("MI", "2026-03-09", "--via", "mail")
    assert field(lines, "received").startswith("2026-03-12 (estimated)")
    assert lines[0] == "2026-03-19"
    lines = deadline("MI", "2026-03-09", "--via", "mail", "--received", "2026-03-13")
    assert field(lines, "received").startswith("2026-03-13 (received 2026-03-13 (entered)")
    assert lines[0] == "2026-03-20"


def test_the_agencys_own_time_zone_decides_after_hours(laws):
    # 17:30 in New York is 14:30 in California and 16:30 in Texas: inside the agency's business day.
    assert field(deadline("CA", "2026-03-09", "--time", "17:30"), "received").startswith("2026-03-09 ")
    assert deadline("TX", "2026-03-09", "--time", "17:30")[0] == "2026-03-23"
    lines = deadline("NY", "2026-03-09", "--time", "17:30")
    assert field(lines, "received").startswith("2026-03-10 ")
    assert "after business hours" in field(lines, "received")


def test_a_texas_christmas_eve_is_the_24th_not_the_23rd_tex_gov_code_662_003_b(laws):
    lines = deadline("TX", "2027-12-20")
    assert lines[0] == "2028-01-04"
    assert field(lines, "skipped") == "2027-12-24 Christmas Eve"
    assert D(2027, 12, 23) not in deadlines.legal_holidays("TX", 2027)
    # Optional holidays (Tex. Gov't Code § 662.003(c)) are business days unless the office closes.
    assert D(2026, 4, 3) not in deadlines.legal_holidays("TX", 2026)


def test_a_law_without_days_prints_none_and_a_target(laws):
    lines = deadline("AZ", "2026-03-09")
    assert lines[0] == "none"
    assert field(lines, "acknowledge by") == "none"
    assert field(lines, "rule").endswith("target 2026-03-23")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("MI", "2026-03-09", "--paused", "2026-03-10"), "Give --paused and --resumed together"),
        (("MI", "2026-03-09", "--paused", "2026-03-12", "--resumed", "2026-03-11"), "is before --paused"),
        (("MI", "2026-03-09", "--received", "2026-03-01"), "before it was sent"),
        (("AL", "2026-03-09", "--acknowledged", "2026-03-01"), "before receipt"),
        (("MI", "2026-03-09", "--acknowledged", "03/10/2026"), 'Bad date "03/10/2026" for --acknowledged'),
    ],
)
def test_impossible_dates_are_clear_errors(laws, args, message):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=message):
        deadline(*args)


# --- The data files ----------------------------------------------------------------------------------------


def test_every_clock_rule_and_holiday_correction_has_a_source_and_a_date():
    rows = deadlines.shipped_clock_rows()
    assert {"AL", "OR", "NY", "ME", "MD", "NM", "SC", "WY", "MI", "TX", "US"} <= set(rows)
    assert all(row.source and row.checked_on for row in rows.values())
    fixes = deadlines.shipped_holiday_fixes()
    assert all(citation for rows in fixes.values() for *_, citation in rows)


def test_a_bad_clock_row_is_reported_with_its_line_and_column():
    from foia.deadlines.rules import CLOCK_COLUMNS, RuleFileError, clock_rows_parse

    header = ",".join(CLOCK_COLUMNS)
    row = dict.fromkeys(CLOCK_COLUMNS, "")
    row.update(jurisdiction="ZZ", ack_days="five", response_from="acknowledgment", checked_on="2026-13-01")
    with pytest.raises(RuleFileError) as error:
        clock_rows_parse(header + "\n" + ",".join(row[c] for c in CLOCK_COLUMNS) + "\n")
    text = str(error.value)
    assert "clocks.csv line 2, column ack_days: 'five' is not a whole number" in text
    assert "line 2, column checked_on" in text and "line 2, column source: required" in text


# --- Through the request's lifecycle and page ---------------------------------------------------------------


def _sent(state: str, sent_at: datetime.datetime, method: str = "email", **kwargs):
    rr = RecordsRequestFactory(
        agency=AgencyFactory(state=state),
        campaign=CampaignFactory(followup_mode="draft"),
        letter_body="Please send records.",
    )
    with time_machine.travel(sent_at + datetime.timedelta(hours=1), tick=False):
        return request_mark_sent(records_request=rr, sent_at=sent_at, method=method, **kwargs)


def test_an_alabama_request_acknowledged_on_time_is_not_overdue_and_gets_no_follow_up(laws, alice_client):
    rr = _sent("AL", datetime.datetime(2026, 3, 9, 10, 0, tzinfo=ET))
    assert (rr.ack_due_on, rr.due_on) == (D(2026, 3, 19), D(2026, 4, 9))
    rr = request_transition(records_request=rr, to_status=Status.ACKNOWLEDGED, today=D(2026, 3, 11))
    assert rr.acknowledged_on == D(2026, 3, 11) and rr.due_on == D(2026, 4, 1)  # § 36-12-44(a)(4)
    # Past the acknowledgment deadline, before the substantive one: not late, so no follow-up is drafted.
    assert reminders_scan(now=datetime.datetime(2026, 3, 25, 12, 0, tzinfo=ET)).followups_created == 0
    assert reminders_scan(now=datetime.datetime(2026, 4, 2, 12, 0, tzinfo=ET)).followups_created == 1
    page = alice_client.get(reverse("request-detail", args=[rr.pk])).content.decode()
    assert "2026-04-01" in page and "acknowledged 2026-03-11" in page and "§ 36-12-44(a)(4)" in page


def test_a_michigan_email_is_due_a_day_later_on_the_request_page_mcl_15_235_1(laws, alice_client):
    rr = _sent("MI", datetime.datetime(2026, 3, 9, 10, 0, tzinfo=ET))
    assert (rr.received_on, rr.due_on) == (D(2026, 3, 10), D(2026, 3, 17))
    page = alice_client.get(reverse("request-detail", args=[rr.pk])).content.decode()
    assert "MCL 15.235(1)" in page and "2026-03-17" in page


def test_a_california_agency_receives_a_late_new_york_email_the_same_day(laws):
    rr = _sent("CA", datetime.datetime(2026, 3, 9, 17, 30, tzinfo=ET))
    assert rr.received_on == D(2026, 3, 9) and rr.due_on == D(2026, 3, 19)
    el_paso = _sent("NY", datetime.datetime(2026, 3, 9, 17, 30, tzinfo=ET))
    assert el_paso.received_on == D(2026, 3, 10)


def test_an_agency_time_zone_override_wins_over_its_state(laws):
    agency = AgencyFactory(state="TX", name="El Paso Police Department", time_zone="America/Denver")
    rr = RecordsRequestFactory(agency=agency, letter_body="x")
    sent_at = datetime.datetime(2026, 3, 9, 18, 30, tzinfo=ET)  # 16:30 in El Paso, 17:30 in Austin
    with time_machine.travel(sent_at + datetime.timedelta(hours=1), tick=False):
        rr = request_mark_sent(records_request=rr, sent_at=sent_at, method="email")
    assert rr.received_on == D(2026, 3, 9)


def test_a_texas_clarification_restarts_the_clock_on_the_request_page_city_of_dallas_v_abbott(
    laws, alice, alice_client
):
    rr = _sent("TX", datetime.datetime(2026, 3, 9, 10, 0, tzinfo=ET))
    rr.owner = alice
    rr.save(update_fields=["owner"])
    url = reverse("request-status", args=[rr.pk])
    with time_machine.travel(datetime.datetime(2026, 3, 11, 12, 0, tzinfo=ET), tick=False):
        alice_client.post(url, {"to_status": "fix_required", "note": "Asked which years"})
    rr.refresh_from_db()
    assert rr.paused_days_left == 10  # the full 10 days run again, not the 8 left
    with time_machine.travel(datetime.datetime(2026, 3, 20, 12, 0, tzinfo=ET), tick=False):
        alice_client.post(url, {"to_status": "processing", "note": "Clarified"})
        page = alice_client.get(reverse("request-detail", args=[rr.pk])).content.decode()
    rr.refresh_from_db()
    assert rr.due_on == D(2026, 4, 3)  # 10 business days from 03-20 (pausing would give 04-01)
    assert "City of Dallas v. Abbott" in rr.due_rule and "2026-04-03" in page


def test_mailed_requests_are_estimated_until_the_receipt_date_is_entered_on_the_page(
    laws, alice, alice_client
):
    rr = _sent("MI", datetime.datetime(2026, 3, 9, 10, 0, tzinfo=ET), method="mail")
    assert rr.receipt_estimated and rr.received_on == D(2026, 3, 12) and rr.due_on == D(2026, 3, 19)
    rr.owner = alice
    rr.save(update_fields=["owner"])
    assert "estimated" in alice_client.get(reverse("request-detail", args=[rr.pk])).content.decode()
    alice_client.post(reverse("request-receipt", args=[rr.pk]), {"received_on": "2026-03-16"})
    rr.refresh_from_db()
    assert not rr.receipt_estimated and rr.received_on == D(2026, 3, 16) and rr.due_on == D(2026, 3, 23)


def test_a_receipt_date_before_sending_is_refused(laws):
    from foia.lifecycle import LifecycleError

    rr = _sent("MI", datetime.datetime(2026, 3, 9, 10, 0, tzinfo=ET), method="mail")
    with pytest.raises(LifecycleError, match="before it was sent"):
        request_record_receipt(records_request=rr, received_on=D(2026, 3, 1))


def test_recompute_moves_acknowledgment_dates_with_a_timeline_event(laws):
    rr = _sent("MD", datetime.datetime(2026, 3, 9, 10, 0, tzinfo=ET))
    assert (rr.ack_due_on, rr.due_on) == (D(2026, 3, 23), D(2026, 4, 8))
    ClosedDay.objects.create(law=Law.objects.get(jurisdiction="MD"), date=D(2026, 3, 16), reason="Storm")
    assert requests_recompute_due(law=Law.objects.get(jurisdiction="MD"), reason="storm closure") == 1
    rr.refresh_from_db()
    assert (rr.ack_due_on, rr.due_on) == (D(2026, 3, 24), D(2026, 4, 8))
    event = RequestEvent.objects.filter(request=rr, kind=RequestEventKind.DUE_DATE).last()
    assert "acknowledgment due 2026-03-24 (was 2026-03-23)" in event.message


def test_the_overdue_csv_shows_received_and_acknowledgment_dates(laws, alice, alice_client):
    import csv

    rr = _sent("AL", datetime.datetime(2026, 3, 9, 10, 0, tzinfo=ET))
    rr.owner = alice
    rr.save(update_fields=["owner"])
    with time_machine.travel(datetime.datetime(2026, 5, 1, 12, 0, tzinfo=ET), tick=False):
        response = alice_client.get(reverse("request-overdue"), {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["received_on"] == "2026-03-09" and rows[0]["ack_due_on"] == "2026-03-19"
    assert rows[0]["receipt_estimated"] == "no"


def test_the_readmes_deadline_examples_print_what_it_says(laws):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    examples = re.findall(
        r"^python manage\.py deadline ([A-Z]{2} [^#]+?)\s+# (\d{4}-\d\d-\d\d)", readme, re.M
    )
    assert len(examples) >= 5
    for args, expected in examples:
        assert deadline(*args.split())[0] == expected, args


def test_an_unknown_agency_time_zone_is_refused_on_the_edit_page(db, alice_client):
    agency = AgencyFactory(state="TX", name="El Paso Police Department")
    url = reverse("agency-edit", args=[agency.pk])
    response = alice_client.post(url, {"kind": agency.kind, "time_zone": "Mountain"})
    assert "is not a time zone name" in response.content.decode()
    alice_client.post(url, {"kind": agency.kind, "time_zone": "America/Denver"})
    agency.refresh_from_db()
    assert agency.time_zone == "America/Denver"


def test_each_holiday_correction_still_changes_the_pinned_package_calendar():
    import holidays

    # If a `holidays` upgrade fixes (or moves) one of these days, this fails: re-check holidays.csv.
    for code, fixes in deadlines.shipped_holiday_fixes().items():
        for day, closed, name, _citation in fixes:
            raw = holidays.US(subdiv=code, years=day.year)
            if closed:
                assert raw.get(day) != name, (code, day, name)  # the package does not already say so
                assert deadlines.legal_holidays(code, day.year)[day] == name
            else:
                assert day in raw, (code, day, name)
                assert day not in deadlines.legal_holidays(code, day.year), (code, day)

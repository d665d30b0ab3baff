"""`manage.py deadline STATE SENT_DATE`."""

import pytest
from django.core.management import CommandError, call_command

from foia.models import DayType

from .factories import LawFactory


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("deadline", *args, stdout=out)
    return out.getvalue().splitlines()


def test_prints_the_federal_due_date_first_then_the_rule_and_holidays(db):
    LawFactory(
        jurisdiction="US",
        jurisdiction_name="United States",
        law_name="FOIA",
        citation="5 U.S.C. § 552",
        response_days=20,
    )
    lines = run("US", "2026-11-25")
    assert lines[0] == "2026-12-24"
    assert [line.split(":")[0] for line in lines[1:]] == ["received", "acknowledge by", "rule", "skipped"]
    assert lines[1].startswith("received: 2026-11-25 (sent 2026-11-25 09:00 America/New_York by email")
    assert lines[2] == "acknowledge by: none"
    assert lines[3] == (
        "rule: FOIA: response due 20 business days after receipt on 2026-11-25 (5 U.S.C. § 552(a)(6)(A)(i))"
    )
    assert lines[4] == "skipped: 2026-11-26 Thanksgiving Day"


def test_a_sent_date_on_a_holiday_counts_from_the_next_business_day(db):
    LawFactory(jurisdiction="MA", response_days=10)
    lines = run("ma", "2026-04-20", "--time", "10:00")
    assert lines[0] == "2026-05-05"
    assert lines[1].startswith("received: 2026-04-21 (sent 2026-04-20 10:00 America/New_York by email; ")
    assert "2026-04-20 is closed (Patriots' Day)" in lines[1]


def test_prints_none_where_the_law_sets_no_number(db):
    LawFactory(jurisdiction="AZ", response_days=None, day_type=DayType.NONE, response_wording="promptly")
    lines = run("AZ", "2026-11-25")
    assert lines[0] == "none"
    assert lines[3].startswith("rule: no statutory deadline")
    assert lines[3].endswith("target 2026-12-10")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ZZ", "2026-11-25"), 'Unknown jurisdiction "ZZ"'),
        (("MI", "2026-13-45"), 'Bad date "2026-13-45"'),
        (("OH", "2026-11-25"), "No law data for OH"),
    ],
)
def test_bad_input_is_a_clear_error(db, args, message):
    LawFactory(jurisdiction="MI")
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_errors_exit_non_zero(db):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "deadline", "ZZ", "2026-11-25"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
    )
    assert result.returncode != 0
    assert "Unknown jurisdiction" in result.stderr


def test_recompute_moves_open_requests_after_a_closed_day_is_added(db):
    import datetime

    from foia.models import ClosedDay, Status

    from .factories import AgencyFactory, RecordsRequestFactory

    law = LawFactory(jurisdiction="MI", response_days=5)
    rr = RecordsRequestFactory(
        agency=AgencyFactory(state="MI"),
        status=Status.SENT,
        received_on=datetime.date(2026, 11, 25),
        due_on=datetime.date(2026, 12, 3),
    )
    ClosedDay.objects.create(law=law, date=datetime.date(2026, 12, 2), reason="Storm")
    assert run("MI", "--recompute") == ["1 open request in MI got a new due date."]
    rr.refresh_from_db()
    assert rr.due_on == datetime.date(2026, 12, 4)


def test_a_missing_sent_date_is_a_clear_error(db):
    with pytest.raises(CommandError, match="Give the sent date"):
        run("MI")

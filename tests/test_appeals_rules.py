"""Appeal rules (foia/data/appeals.csv) and `manage.py appeal_deadline STATE DECISION_DATE [--deemed]`."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from foia import deadlines
from foia.appeals.rules import (
    COLUMNS,
    AppealRuleError,
    appeal_rows_parse,
    appeal_window,
    decision_due,
    shipped_appeal_rules,
)

from .factories import LawFactory


def run(*args):
    out = StringIO()
    call_command("appeal_deadline", *args, stdout=out)
    return out.getvalue().splitlines()


def test_the_shipped_file_has_one_cited_dated_rule_for_each_of_the_52_jurisdictions():
    rules = shipped_appeal_rules()
    assert set(rules) == deadlines.JURISDICTIONS
    for rule in rules.values():
        assert rule.citation and rule.source and rule.verified_on.year == 2026
        if rule.court_only:
            assert rule.appeal_days is None


# Hand-computed: the day of the decision is day 0; holidays from the state's calendar.
@pytest.mark.parametrize(
    ("args", "first_line"),
    [
        # Pennsylvania: 15 business days; Memorial Day 2026-05-25 skipped.
        (("PA", "2026-05-15"), "2026-06-08"),
        (("PA", "2026-03-09"), "2026-03-30"),
        # Deemed denial: the same 15 business days from the day the deadline passed.
        (("PA", "2026-03-09", "--deemed"), "2026-03-30"),
        # Federal: 90 calendar days; 2026-06-07 is a Sunday and the statute does not roll it forward.
        (("US", "2026-03-09"), "2026-06-07"),
        # Federal silence starts no appeal clock.
        (("US", "2026-03-09", "--deemed"), "no-limit"),
        # New Jersey: 60 calendar days; Saturday 2026-05-09 rolls to Monday (N.J.A.C. 1:1-1.4).
        (("NJ", "2026-03-10"), "2026-05-11"),
        # Connecticut: 30 days; 2026-11-11 is Veterans Day there, so the next business day.
        (("CT", "2026-10-12"), "2026-11-12"),
        # Hawaii: one year (HAR § 2-73-12).
        (("HI", "2026-03-09"), "2027-03-09"),
        # Massachusetts silence: 90 days from the request (10 business days before the missed deadline),
        # 2026-05-24 is a Sunday and 05-25 Memorial Day.
        (("MA", "2026-03-09", "--deemed"), "2026-05-26"),
        (("AL", "2026-03-09"), "none"),
        (("TX", "2026-03-09", "--deemed"), "none"),
        (("DC", "2026-03-09"), "no-limit"),
        (("MI", "2026-03-09"), "no-limit"),
    ],
)
def test_first_line_is_the_last_day_to_appeal(db, args, first_line):
    LawFactory(jurisdiction="MA", response_days=10)
    assert run(*args)[0] == first_line


def test_then_body_file_by_and_decision_within_in_that_order(db):
    lines = run("pa", "2026-03-09")
    assert [line.split(":")[0] for line in lines[1:]] == ["body", "file by", "decision within"]
    assert lines[1] == "body: Office of Open Records"
    assert lines[3].startswith("decision within: 30 calendar days after the body receives the appeal")


def test_a_court_only_state_says_so_in_every_line(db):
    lines = run("CA", "2026-03-09")
    assert lines[0] == "none"
    assert lines[1] == "body: Superior court"
    assert lines[3] == "decision within: not applicable: no administrative appeal (court only)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ZZ", "2026-03-09"), 'Unknown jurisdiction "ZZ"'),
        (("PA", "2026-02-30"), 'Bad decision date "2026-02-30"'),
        (("PA", "yesterday"), 'Bad decision date "yesterday"'),
    ],
)
def test_bad_state_or_date_is_a_clear_command_error(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_a_closed_day_entered_in_the_admin_moves_a_business_day_deadline(db):
    from foia.models import ClosedDay

    law = LawFactory(jurisdiction="PA")
    ClosedDay.objects.create(law=law, date=datetime.date(2026, 3, 30), closed=True, reason="Snow day")
    deadlines.calendar_for.cache_clear()
    assert run("PA", "2026-03-09")[0] == "2026-03-31"


def test_the_body_decision_deadline_counts_from_receipt_with_the_state_calendar():
    rules = shipped_appeal_rules()
    calendar = deadlines.calendar_for("MA")
    due, text = decision_due(rule=rules["MA"], calendar=calendar, received_on=datetime.date(2026, 5, 15))
    assert due == datetime.date(2026, 6, 1)  # 10 business days, Memorial Day skipped
    assert "10 business days" in text
    due, _ = decision_due(
        rule=rules["PA"], calendar=deadlines.calendar_for("PA"), received_on=datetime.date(2026, 3, 9)
    )
    assert due == datetime.date(2026, 4, 8)
    assert (
        decision_due(
            rule=rules["NJ"], calendar=deadlines.calendar_for("NJ"), received_on=datetime.date(2026, 3, 9)
        )[0]
        is None
    )


def test_a_request_based_rule_needs_the_request_date():
    rule = shipped_appeal_rules()["MA"]
    with pytest.raises(ValueError, match="requested_on"):
        appeal_window(
            rule=rule,
            calendar=deadlines.calendar_for("MA"),
            decided_on=datetime.date(2026, 3, 9),
            deemed=True,
        )


def _csv(*rows: str) -> str:
    return ",".join(COLUMNS) + "\n" + "\n".join(rows) + "\n"


def test_every_problem_in_the_file_is_reported_with_its_line_and_column():
    good = "PA,state_body,Office,Online,15,business,yes,no,30,calendar,,,65 P.S.,K,2026-11-30,high"
    bad = "NJ,tribunal,GRC,Form,sixty,calendar,maybe,no,,,,,,K,2026-13-01,high"
    with pytest.raises(AppealRuleError) as error:
        appeal_rows_parse(_csv(good, bad, good))
    message = str(error.value)
    assert (
        "appeals.csv line 3, column route: 'tribunal' is not one of agency, state_body, court_only" in message
    )
    assert "line 3, column appeal_days: 'sixty' is not a whole number" in message
    assert "line 3, column deemed" in message
    assert "line 3, column citation: required" in message
    assert "line 3, column verified_on" in message
    assert "line 4, column jurisdiction: PA appears twice" in message


def test_state_bodies_contacts_are_given_or_marked_unknown_and_checked():
    rules = shipped_appeal_rules()
    for rule in rules.values():
        for column in ("body_email", "body_address", "body_portal"):
            value = getattr(rule, column)
            assert value if rule.route == "state_body" else not value, (rule.jurisdiction, column)
    pa = rules["PA"]
    assert pa.contact("body_email") == "openrecords@pa.gov"
    assert pa.contact("body_portal").startswith("https://www.openrecords.pa.gov/")
    assert "Harrisburg, PA" in pa.contact("body_address")
    assert rules["CT"].contact("body_email") == "foi@ct.gov"
    assert "Springfield, IL" in rules["IL"].contact("body_address")
    assert rules["IL"].body_email == "unknown" and rules["IL"].contact("body_email") == ""
    header = ",".join([*COLUMNS, "body_email", "body_address", "body_portal"])
    row = "PA,state_body,Office,Online,15,business,yes,no,30,calendar,,,65 P.S.,K,S,2026-11-30,high"
    agency = "MI,agency,Head,Letter,,,no-limit,no,10,business,,,MCL,K,S,2026-11-30,high"
    text = "\n".join(
        [header, row + ",oor at pa,unknown,http://x", row.replace("PA", "NJ") + ",,,", agency + ",a@b.org,,"]
    )
    with pytest.raises(AppealRuleError) as error:
        appeal_rows_parse(text + "\n")
    message = str(error.value)
    assert "line 2, column body_email: 'oor at pa' is not an email address" in message
    assert "line 2, column body_portal: 'http://x' is not an https:// address" in message
    assert "line 3, column body_address: give it, or write unknown" in message
    assert "line 4, column body_email: only a state body's row has contacts (route agency)" in message


def test_a_missing_column_is_named():
    with pytest.raises(AppealRuleError, match="line 1: missing column"):
        appeal_rows_parse("jurisdiction,route\nPA,agency\n")


def test_the_readme_examples_give_what_they_say(db):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    examples = re.findall(r"^python manage\.py appeal_deadline ([A-Z]{2} [^#]+?)\s+# ([\w-]+)", readme, re.M)
    assert len(examples) >= 5
    for args, expected in examples:
        assert run(*args.split())[0] == expected, args

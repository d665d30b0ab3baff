"""The shipped law file and the load_laws command."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from foia import jurisdictions
from foia.laws import COLUMNS, DEFAULT_LAWS_FILE
from foia.models import DayType, Law, RequesterLimit

STATES = {
    *[
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
    ],
    *[
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
    ],
}


def shipped_rows() -> list[dict]:
    return list(csv.DictReader(DEFAULT_LAWS_FILE.open(encoding="utf-8")))


def write_laws(tmp_path, rows: list[dict], columns=COLUMNS):
    path = tmp_path / "laws.csv"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def load(path, *options) -> str:
    out = io.StringIO()
    call_command("load_laws", "--file", str(path), *options, stdout=out)
    return out.getvalue()


def test_all_52_jurisdictions_are_present_and_complete_after_loading_the_shipped_file(db):
    call_command("load_laws", stdout=io.StringIO())
    laws = {law.jurisdiction: law for law in Law.objects.all()}
    assert len(STATES) == 50
    assert {*STATES, "DC"} == jurisdictions.STATES  # the app's one list agrees with this independent one
    assert set(laws) == {*STATES, "DC", "US"}
    assert len(laws) == 52
    for law in laws.values():
        for field in ("jurisdiction_name", "law_name", "citation", "source", "appeal_path", "confidence"):
            assert getattr(law, field), f"{law.jurisdiction} has no {field}"
        assert law.verified_on is not None
        if law.day_type in (DayType.BUSINESS, DayType.CALENDAR):
            assert law.response_days, f"{law.jurisdiction} has no response_days"
        else:
            assert law.day_type == DayType.NONE
            assert law.response_wording, f"{law.jurisdiction} has no wording"
        if law.ack_days:
            assert law.ack_day_type in (DayType.BUSINESS, DayType.CALENDAR)
        if law.extension_days:
            assert law.extension_day_type in (DayType.BUSINESS, DayType.CALENDAR)


def test_the_rows_the_readme_names_carry_their_clocks_extensions_and_requester_limits(db):
    call_command("load_laws", stdout=io.StringIO())
    law = {law.jurisdiction: law for law in Law.objects.all()}
    assert (law["MI"].response_days, law["MI"].day_type) == (5, DayType.BUSINESS)
    assert law["AZ"].day_type == DayType.NONE and law["AZ"].response_period_text == "promptly"
    assert (law["IL"].extension_days, law["IL"].extension_day_type) == (5, DayType.BUSINESS)
    assert (law["DC"].extension_days, law["US"].extension_days) == (10, 10)
    assert (law["PA"].extension_days, law["PA"].extension_day_type) == (30, DayType.CALENDAR)
    assert (law["CA"].extension_days, law["CA"].extension_day_type) == (14, DayType.CALENDAR)
    assert (law["OR"].ack_days, law["NM"].ack_days, law["NY"].ack_days) == (5, 3, 5)
    for code in ("AR", "TN", "VA", "NH"):
        assert law[code].requester_limit == RequesterLimit.CITIZENS
    assert law["AL"].requester_limit == law["KY"].requester_limit == RequesterLimit.RESIDENTS
    assert law["PA"].requester_limit == RequesterLimit.US_RESIDENTS
    assert law["DE"].requester_limit == "" and "Lee v. Minner" in law["DE"].requester_limit_notes


def test_loading_twice_changes_nothing_and_says_so(db):
    assert "52 created, 0 updated, 0 unchanged" in load(DEFAULT_LAWS_FILE)
    assert "0 created, 0 updated, 52 unchanged" in load(DEFAULT_LAWS_FILE)
    assert Law.objects.count() == 52


def test_a_corrected_row_is_updated_in_place(db, tmp_path):
    load(DEFAULT_LAWS_FILE)
    rows = shipped_rows()
    rows[0]["response_days"] = "11"
    assert "0 created, 1 updated, 51 unchanged" in load(write_laws(tmp_path, rows))
    assert Law.objects.get(jurisdiction=rows[0]["jurisdiction"]).response_days == 11


def test_missing_only_adds_new_jurisdictions_and_keeps_admin_corrections(db, tmp_path):
    load(DEFAULT_LAWS_FILE)
    Law.objects.filter(jurisdiction="MI").update(response_days=7)  # corrected in the admin
    Law.objects.filter(jurisdiction="WY").delete()
    output = load(DEFAULT_LAWS_FILE, "--missing-only")
    assert "1 created, 0 updated, 51 unchanged" in output
    assert Law.objects.get(jurisdiction="MI").response_days == 7
    assert Law.objects.filter(jurisdiction="WY").exists()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("day_type", "weekdays", "line 3, column day_type: unknown day type 'weekdays'"),
        ("response_days", "ten", "line 3, column response_days: 'ten' is not a whole number"),
        ("response_days", "", "line 3, column response_days: a business-day law needs response_days"),
        ("law_name", "", "line 3, column law_name: law_name is required"),
        ("citation", "", "line 3, column citation: citation is required"),
        ("source", "", "line 3, column source: source is required"),
        ("verified_on", "2026-13-01", "line 3, column verified_on: '2026-13-01' is not a YYYY-MM-DD date"),
        ("jurisdiction", "AL", "line 3, column jurisdiction: AL already given on line 2"),
        ("requester_limit", "locals", "line 3, column requester_limit: unknown limit 'locals'"),
        ("extension_day_type", "", "line 3, column extension_day_type: extension_days is set"),
    ],
)
def test_a_bad_row_is_reported_by_line_and_column_and_nothing_written(db, tmp_path, column, value, message):
    rows = shipped_rows()
    assert rows[1]["jurisdiction"] == "AK" and rows[1]["day_type"] == "business"
    rows[1][column] = value
    with pytest.raises(CommandError) as error:
        load(write_laws(tmp_path, rows))
    assert message in str(error.value)
    assert Law.objects.count() == 0


def test_a_law_without_fixed_days_needs_its_wording(db, tmp_path):
    rows = shipped_rows()
    assert rows[2]["jurisdiction"] == "AZ"
    rows[2]["response_wording"] = ""
    with pytest.raises(CommandError, match="line 4, column response_wording"):
        load(write_laws(tmp_path, rows))


def test_a_bad_file_leaves_earlier_loaded_laws_untouched(db, tmp_path):
    load(DEFAULT_LAWS_FILE)
    rows = shipped_rows()
    rows[0]["response_days"] = "99"
    rows[5]["day_type"] = "sometimes"
    with pytest.raises(CommandError):
        load(write_laws(tmp_path, rows))
    assert Law.objects.get(jurisdiction="AL").response_days == 10


def test_a_missing_column_is_named(db, tmp_path):
    columns = [column for column in COLUMNS if column != "citation"]
    with pytest.raises(CommandError, match="line 1, column citation: column missing"):
        load(write_laws(tmp_path, shipped_rows(), columns))


def test_a_missing_file_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        load(tmp_path / "nope.csv")


def test_an_agency_knows_its_law_through_the_one_lookup(db, django_assert_num_queries):
    from .factories import AgencyFactory, LawFactory

    michigan = LawFactory(jurisdiction="MI")
    texas = LawFactory(jurisdiction="TX")
    agency = AgencyFactory(state="MI")

    with django_assert_num_queries(2):  # the law, then its closed days (for the deadline maths)
        assert agency.law == michigan
        assert agency.law == michigan  # cached on the agency
    assert AgencyFactory(state="GU").law is None
    with django_assert_num_queries(1):
        assert Law.objects.by_jurisdiction(["MI", "TX", "GU"]) == {"MI": michigan, "TX": texas}

"""The deadline engine, table-tested with real dates and real holiday calendars (no database)."""

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from foia import deadlines

D = datetime.date
NEW_YORK = ZoneInfo("America/New_York")
FIVE_PM = datetime.time(17, 0)


def law(jurisdiction, days, day_type="business", ack_days=None, ack_day_type="", wording=""):
    return SimpleNamespace(
        jurisdiction=jurisdiction,
        law_name=f"{jurisdiction} records law",
        citation="§ 1",
        response_days=days,
        day_type=day_type,
        response_wording=wording,
        ack_days=ack_days,
        ack_day_type=ack_day_type,
    )


def due(jurisdiction, days, day_type, received, overrides=()):
    calendar = deadlines.calendar_for(jurisdiction, tuple(overrides))
    return deadlines.response_due(
        law=law(jurisdiction, days, day_type),
        received_on=received,
        calendar=calendar,
        default_followup_days=10,
    )


@pytest.mark.parametrize(
    ("jurisdiction", "days", "day_type", "received", "expected", "skipped"),
    [
        # Federal FOIA, 20 business days over Thanksgiving (the day after is a federal working day).
        ("US", 20, "business", D(2026, 11, 25), D(2026, 12, 24), [D(2026, 11, 26)]),
        # Michigan: Thanksgiving is a legal holiday, the Friday after is not (MCL 435.101; MCL 15.232).
        ("MI", 5, "business", D(2026, 11, 25), D(2026, 12, 3), [D(2026, 11, 26)]),
        # Massachusetts: Patriots' Day (third Monday of April).
        ("MA", 10, "business", D(2026, 4, 15), D(2026, 4, 30), [D(2026, 4, 20)]),
        # DC: Emancipation Day, April 16.
        ("DC", 15, "business", D(2026, 4, 15), D(2026, 5, 7), [D(2026, 4, 16)]),
        # Texas: Christmas Eve, Christmas and New Year's Day, across the year end.
        (
            "TX",
            10,
            "business",
            D(2026, 12, 17),
            D(2027, 1, 5),
            [D(2026, 12, 24), D(2026, 12, 25), D(2027, 1, 1)],
        ),
        # Texas state holiday San Jacinto Day closes offices ...
        ("TX", 10, "business", D(2026, 4, 20), D(2026, 5, 5), [D(2026, 4, 21)]),
        # ... but its optional holidays (Cesar Chavez Day, Good Friday) are working days.
        ("TX", 10, "business", D(2026, 3, 27), D(2026, 4, 10), []),
        # California, 10 calendar days ending on Thanksgiving: rolls past the day after and the weekend.
        ("CA", 10, "calendar", D(2026, 11, 16), D(2026, 11, 30), [D(2026, 11, 26), D(2026, 11, 27)]),
        # Wyoming, 30 calendar days ending on a Saturday: rolls to Monday.
        ("WY", 30, "calendar", D(2026, 10, 1), D(2026, 11, 2), []),
        # Calendar days that end on a business day stay put, holidays inside the period do not matter.
        ("IN", 7, "calendar", D(2026, 11, 23), D(2026, 11, 30), []),
    ],
)
def test_due_dates_follow_each_jurisdictions_calendar(
    jurisdiction, days, day_type, received, expected, skipped
):
    result = due(jurisdiction, days, day_type, received)
    assert result.due_on == expected
    assert [day for day, _ in result.holidays_skipped] == skipped
    assert result.is_statutory
    assert f"{days} {day_type} days after receipt on {received}" in result.rule


def test_holidays_skipped_carry_their_names():
    result = due("MA", 10, "business", D(2026, 4, 15))
    assert result.holidays_skipped == ((D(2026, 4, 20), "Patriots' Day"),)
    assert result.holidays_text == "2026-04-20 Patriots' Day"


def test_a_law_with_no_number_gets_a_follow_up_target_that_is_not_statutory():
    calendar = deadlines.calendar_for("AZ")
    result = deadlines.response_due(
        law=law("AZ", None, "none", wording="promptly"),
        received_on=D(2026, 11, 25),
        calendar=calendar,
        default_followup_days=10,
    )
    assert result.due_on == D(2026, 12, 10)  # 10 business days, Thanksgiving skipped
    assert result.is_statutory is False
    assert result.rule.startswith('no statutory deadline ("promptly"); follow-up target 10 business days')


def test_a_closed_day_override_adds_a_day_and_an_open_override_removes_a_holiday():
    storm = ((D(2026, 12, 1), True),)
    assert due("MI", 5, "business", D(2026, 11, 25), storm).due_on == D(2026, 12, 4)
    assert (D(2026, 12, 1), "closed (local override)") in due(
        "MI", 5, "business", D(2026, 11, 25), storm
    ).holidays_skipped
    open_thanksgiving = ((D(2026, 11, 26), False),)
    assert due("MI", 5, "business", D(2026, 11, 25), open_thanksgiving).due_on == D(2026, 12, 2)


@pytest.mark.parametrize(
    ("sent_at", "received"),
    [
        (datetime.datetime(2026, 11, 24, 16, 59, tzinfo=NEW_YORK), D(2026, 11, 24)),  # before 17:00
        (datetime.datetime(2026, 11, 24, 17, 0, tzinfo=NEW_YORK), D(2026, 11, 25)),  # after hours
        (
            datetime.datetime(2026, 11, 25, 22, 30, tzinfo=NEW_YORK),
            D(2026, 11, 27),
        ),  # after hours, then Thanksgiving
        (datetime.datetime(2026, 11, 26, 10, 0, tzinfo=NEW_YORK), D(2026, 11, 27)),  # on a holiday
        (datetime.datetime(2026, 11, 28, 10, 0, tzinfo=NEW_YORK), D(2026, 11, 30)),  # on a Saturday
        # 21:30 UTC is 16:30 in New York: still business hours there.
        (datetime.datetime(2026, 11, 24, 21, 30, tzinfo=datetime.UTC), D(2026, 11, 24)),
    ],
)
def test_requests_sent_after_hours_or_on_closed_days_count_as_received_the_next_business_day(
    sent_at, received
):
    calendar = deadlines.calendar_for("US")
    assert (
        deadlines.received_on_for(sent_at, calendar=calendar, tz=NEW_YORK, business_hours_end=FIVE_PM)
        == received
    )


def test_acknowledgment_clock_is_computed_where_the_law_has_one():
    maryland = law("MD", 30, "calendar", ack_days=10, ack_day_type="business")
    calendar = deadlines.calendar_for("MD")
    ack = deadlines.ack_due(law=maryland, received_on=D(2026, 11, 25), calendar=calendar)
    assert ack.due_on == D(2026, 12, 11)  # Thanksgiving and American Indian Heritage Day skipped
    assert ack.rule.startswith("acknowledge within 10 business days")
    assert "Md. Code Gen. Prov. § 4-203(b)(2)" in ack.rule
    assert deadlines.ack_due(law=law("MI", 5), received_on=D(2026, 11, 25), calendar=calendar) is None


def test_paused_clock_keeps_the_days_left_in_the_laws_unit_and_resumes_with_them():
    michigan = law("MI", 5)
    calendar = deadlines.calendar_for("MI")
    left = deadlines.days_left(law=michigan, calendar=calendar, today=D(2026, 11, 30), due_on=D(2026, 12, 4))
    assert left == 4
    resumed = deadlines.resumed_due(law=michigan, calendar=calendar, resumed_on=D(2026, 12, 22), days=left)
    assert resumed.due_on == D(2026, 12, 29)  # 23, 24, (25), 28, 29: Christmas Eve is not in MCL 435.101
    california = law("CA", 10, "calendar")
    assert (
        deadlines.days_left(law=california, calendar=calendar, today=D(2026, 12, 1), due_on=D(2026, 11, 30))
        == 0
    )


def test_unknown_jurisdiction_is_a_clear_error():
    with pytest.raises(deadlines.DeadlineError, match='Unknown jurisdiction "ZZ"'):
        deadlines.calendar_for("ZZ")


def test_naive_sent_at_is_refused():
    with pytest.raises(deadlines.DeadlineError, match="aware"):
        deadlines.received_on_for(
            datetime.datetime(2026, 11, 24, 9, 0),
            calendar=deadlines.calendar_for("US"),
            tz=NEW_YORK,
            business_hours_end=FIVE_PM,
        )


def test_holiday_calendars_are_cached_per_jurisdiction_and_year():
    deadlines.legal_holidays("VT", 2031)
    hits = deadlines.legal_holidays.cache_info().hits
    deadlines.legal_holidays("VT", 2031)
    assert deadlines.legal_holidays.cache_info().hits == hits + 1


def test_every_jurisdiction_has_a_holiday_calendar():
    for code in sorted(deadlines.JURISDICTIONS):
        assert D(2026, 12, 25) in deadlines.legal_holidays(code, 2026), code

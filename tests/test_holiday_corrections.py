"""The holiday corrections found by comparing the `holidays` package with each state's statute (2026-2028).

Each case names the statute; foia/data/README.md has the per-jurisdiction comparison. The companion test in
test_deadlines_clocks.py fails when a package upgrade makes one of these corrections unnecessary.
"""

import datetime

import pytest

from foia import deadlines

D = datetime.date


@pytest.mark.parametrize(
    ("code", "day", "open_"),
    [
        # S.C. Code § 53-5-10: Confederate Memorial Day is May 10, not the fourth Monday in April ...
        ("SC", D(2026, 4, 27), True),
        ("SC", D(2027, 4, 26), True),
        ("SC", D(2027, 5, 10), False),
        ("SC", D(2028, 5, 10), False),
        # ... the day after Thanksgiving, December 24 and 26 are holidays; Juneteenth is not.
        ("SC", D(2026, 11, 27), False),
        ("SC", D(2026, 12, 24), False),
        ("SC", D(2028, 12, 26), False),
        ("SC", D(2026, 6, 19), True),
        ("SC", D(2028, 6, 19), True),
        # Haw. Rev. Stat. § 8-1: Good Friday is a state holiday; Juneteenth is a day of observance only.
        ("HI", D(2026, 4, 3), False),
        ("HI", D(2028, 4, 14), False),
        ("HI", D(2026, 6, 19), True),
        ("HI", D(2027, 6, 18), True),
        # N.Y. Gen. Constr. Law § 24: a Saturday holiday has no Friday substitute; Feb 15 is not a holiday.
        ("NY", D(2026, 7, 3), True),
        ("NY", D(2027, 12, 24), True),
        ("NY", D(2027, 12, 31), True),
        ("NY", D(2028, 2, 11), True),
        ("NY", D(2028, 2, 15), True),
        ("NY", D(2028, 11, 10), True),
        # ... while a Sunday holiday moves to Monday, and general Election Day is a public holiday.
        ("NY", D(2027, 7, 5), False),
        ("NY", D(2026, 11, 3), False),
        # Md. Code, Gen. Prov. § 1-111(a)(17): each statewide general election day.
        ("MD", D(2026, 11, 3), False),
        ("MD", D(2028, 11, 7), False),
        # Ark. Code § 1-5-101(a)(9): Christmas Eve.
        ("AR", D(2026, 12, 24), False),
        # AS 44.12.010 has no second Monday of October.
        ("AK", D(2026, 10, 12), True),
        ("AK", D(2028, 10, 9), True),
        ("AK", D(2026, 10, 19), False),  # Alaska Day (Sunday the 18th) observed
        # Susan B. Anthony Day is commemorative in California and Wisconsin (Wis. Stat. § 118.02).
        ("CA", D(2028, 2, 15), True),
        ("WI", D(2028, 2, 15), True),
    ],
)
def test_the_statute_decides_whether_the_office_is_open(code, day, open_):
    assert deadlines.BusinessCalendar(code).is_business_day(day) is open_


def test_south_carolina_ten_business_days_skip_the_day_after_thanksgiving():
    # S.C. Code § 30-4-30(C) counted over § 53-5-10: received Wed 2026-11-25; Thu 26 and Fri 27 are holidays.
    calendar = deadlines.BusinessCalendar("SC")
    assert calendar.add_business_days(D(2026, 11, 25), 10) == D(2026, 12, 11)
    assert [name for _day, name in calendar.holidays_between(D(2026, 11, 25), D(2026, 12, 11))] == [
        "Thanksgiving Day",
        "Day After Thanksgiving",
    ]


def test_new_york_acknowledgment_counts_the_friday_before_a_saturday_fourth_of_july():
    # POL § 89(3)(a) five business days from Thu 2026-07-02: Fri 3 counts (Gen. Constr. Law § 24).
    assert deadlines.BusinessCalendar("NY").add_business_days(D(2026, 7, 2), 5) == D(2026, 7, 9)


def test_hawaii_good_friday_is_skipped_by_name():
    calendar = deadlines.BusinessCalendar("HI")
    assert calendar.holidays_between(D(2026, 4, 1), D(2026, 4, 6)) == ((D(2026, 4, 3), "Good Friday"),)


def test_every_new_correction_cites_the_statute_section():
    fixes = deadlines.shipped_holiday_fixes()
    for code in ("SC", "HI", "NY", "MD", "AR", "CA", "WI", "AK"):
        assert fixes[code], code
        assert all("§" in citation or citation.startswith("AS ") for *_, citation in fixes[code]), code

"""Counted nouns: "1 agency", "2 agencies"."""

from foia.wording import counted


def test_one_takes_the_singular_and_every_other_number_the_plural():
    assert counted(1, "day") == "1 day"
    assert counted(0, "day") == "0 days" and counted(2, "file") == "2 files"
    assert counted(1, "agency", "agencies") == "1 agency"
    assert counted(11, "agency", "agencies") == "11 agencies"

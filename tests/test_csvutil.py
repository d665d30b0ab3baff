"""CSV cells that a spreadsheet would run as formulas are neutralised."""

import pytest

from foia.csvutil import csv_response, safe_cell


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1+2", "-3", "@SUM(A1)"])
def test_formula_cells_are_escaped(text):
    assert safe_cell(text) == "'" + text


def test_ordinary_cells_are_untouched():
    assert safe_cell("Troy Police Department") == "Troy Police Department"
    assert safe_cell(None) == ""
    assert safe_cell(12) == "12"


def test_csv_response_is_a_download_with_escaped_cells():
    response = csv_response("x.csv", ["name"], [["=cmd()"]])
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response.content.decode().splitlines() == ["name", "'=cmd()"]

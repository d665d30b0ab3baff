"""Real agency lists: repeated rows, namesakes in different cities, other separators and encodings.

A list of 1,500 Ring partners holds several "Washington Township Police Department"s in New Jersey, rows
repeated once per source link, Excel's Windows-1252 "CSV" and European semicolons; each is read as what it
means, said in a note, and anything ambiguous is a problem with its line — nothing half written.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from foia.imports import AgencyImportError, agencies_import, agency_file_parse
from foia.models import Agency, AgencyImport, AgencyKind, ImportStatus

from .factories import AgencyFactory
from .test_agency_views import upload


def run(data: bytes, **kwargs):
    parsed = agency_file_parse(data)
    assert parsed.ok, parsed.problems
    return parsed, agencies_import(parsed=parsed, **kwargs)


def test_a_repeated_row_is_merged_and_fills_what_the_first_left_empty(db):
    data = (
        b"Agency,State,Email,Link 1\n"
        b"Troy Police Department,MI,,https://news.example/a\n"
        b"TROY  police department.,Michigan,records@troy.example,https://news.example/b\n"
    )
    parsed, result = run(data)
    assert result.created == 1
    agency = Agency.objects.get()
    assert agency.name == "Troy Police Department" and agency.email == "records@troy.example"
    assert agency.extra == {"Link 1": "https://news.example/a"}  # the first row's sources are kept
    assert [str(notice) for notice in parsed.notices] == [
        "line 3: the same agency as line 2 (Troy Police Department, MI): merged into one"
    ]


def test_repeated_rows_that_disagree_are_a_problem_naming_both_lines_and_nothing_is_written(db):
    data = b"agency,state,fax\nTroy PD,MI,555-0100\nTroy PD,MI,555-0199\nLansing PD,MI,\n"
    parsed = agency_file_parse(data)
    assert [str(problem) for problem in parsed.problems] == [
        "line 3, column fax: the same agency as line 2 (Troy PD, MI) with a different fax: "
        "'555-0199' here, '555-0100' there; keep one row or correct one value"
    ]
    with pytest.raises(AgencyImportError):
        agencies_import(parsed=parsed)
    assert not Agency.objects.exists()


def test_namesakes_in_different_cities_are_different_agencies(db):
    data = (
        b"agency,city,state\n"
        b"Washington Township Police Department,Sewell,NJ\n"
        b"Washington Township Police Department,Long Valley,NJ\n"
        b"Washington Township Police Department,Sewell,New Jersey\n"
    )
    parsed, result = run(data)
    assert result.created == 2 and len(parsed.notices) == 1
    assert sorted(Agency.objects.values_list("city", "place_key")) == [
        ("Long Valley", "long valley"),
        ("Sewell", "sewell"),
    ]


def test_a_namesake_row_without_a_city_is_ambiguous(db):
    data = (
        b"agency,city,state\n"
        b"Washington Township Police Department,Sewell,NJ\n"
        b"Washington Township Police Department,Long Valley,NJ\n"
        b"Washington Township Police Department,,NJ\n"
    )
    parsed = agency_file_parse(data)
    assert len(parsed.problems) == 1
    problem = parsed.problems[0]
    assert problem.line == 4 and problem.column == "city"
    assert "is also in Sewell (line 2), Long Valley (line 3)" in problem.message


def test_a_file_without_cities_cannot_say_which_stored_namesake_it_means(db):
    AgencyFactory(name="Union Township Police Department", state="OH", city="Milford", email="")
    AgencyFactory(name="Union Township Police Department", state="OH", city="Lebanon", email="")
    parsed = agency_file_parse(b"agency,state,email\nUnion Township Police Department,OH,r@union.example\n")
    with pytest.raises(AgencyImportError) as error:
        agencies_import(parsed=parsed)
    assert str(error.value) == (
        "line 2: 2 agencies are named Union Township Police Department in OH (Lebanon, Milford): "
        "add a city column (or fill this row's city) to say which"
    )
    assert not Agency.objects.exclude(email="").exists()
    # with the city, the row finds its agency
    run(b"agency,city,state,email\nUnion Township Police Department,LEBANON,OH,r@union.example\n")
    assert Agency.objects.get(email="r@union.example").place_key == "lebanon"


def test_a_row_with_a_city_fills_the_only_namesake_without_one_then_matches_it(db):
    stored = AgencyFactory(name="Jackson Township Police", state="NJ", city="", email="")
    _, result = run(b"agency,city,state\nJackson Township Police,Jackson,NJ\n")
    assert (result.created, result.updated) == (0, 1)
    stored.refresh_from_db()
    assert (stored.city, stored.place_key) == ("Jackson", "jackson")
    _, again = run(b"agency,city,state\nJackson Township Police,Jackson,NJ\n")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert Agency.objects.count() == 1


def test_a_different_city_than_the_stored_namesake_adds_an_agency_and_says_so(db):
    AgencyFactory(name="Franklin Township Police Department", state="NJ", city="Somerset")
    _, result = run(b"agency,city,state\nFranklin Township Police Department,Franklinville,NJ\n")
    assert result.created == 1 and Agency.objects.count() == 2
    assert [str(notice) for notice in result.notices] == [
        "line 2: Franklin Township Police Department in Franklinville, NJ is a new agency: the stored one of "
        "that name is in Somerset (if they are one agency, correct its city in the admin and import again)"
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"agency;city;state;email\nTroy PD;Troy;MI;records@troy.example\nDallas PD;Dallas;TX;\n",
        b"agency\tcity\tstate\temail\nTroy PD\tTroy\tMI\trecords@troy.example\nDallas PD\tDallas\tTX\t\n",
        b"agency|city|state|email\nTroy PD|Troy|MI|records@troy.example\nDallas PD|Dallas|TX|\n",
    ],
    ids=["semicolons", "tabs", "pipes"],
)
def test_other_separators_are_recognised_from_the_header(db, data):
    _, result = run(data)
    assert result.created == 2
    assert Agency.objects.get(state="MI").email == "records@troy.example"


def test_a_comma_file_with_semicolons_in_its_values_stays_a_comma_file(db):
    run(b'agency,state,address\nTroy PD,MI,"500 W Big Beaver; Troy, MI"\n')
    assert Agency.objects.get().address == "500 W Big Beaver; Troy, MI"


def test_excels_windows_1252_csv_is_read_with_a_note(db):
    data = "agency,city,state\nCañon City Police Department,Cañon City,CO\n".encode("cp1252")
    parsed, result = run(data)
    assert Agency.objects.get().name == "Cañon City Police Department"
    assert "read as Windows-1252" in str(parsed.notices[0])


def test_an_atlas_of_surveillance_export_maps_its_columns(db):
    data = (
        b"AOSNUMBER,City,County,State,Agency,Type of LEA,Summary,Technology\n"
        b"AOS1,Bay Minette,Baldwin,Alabama,Baldwin County Sheriff's Office,Sheriff,\"Partnered with Ring,\n"
        b'per the map",Ring/Neighbors Partnership\n'
    )
    run(data)
    agency = Agency.objects.get()
    assert (agency.state, agency.county, agency.kind) == ("AL", "Baldwin", AgencyKind.SHERIFF)
    assert agency.extra["Summary"] == "Partnered with Ring,\nper the map"


def test_the_web_preview_lists_the_notes_before_anything_is_written(alice_client):
    data = b"agency,state\nTroy PD,MI\nTroy PD,MI\n"
    upload(alice_client, data)
    agency_import = AgencyImport.objects.latest("pk")
    assert agency_import.status == ImportStatus.CHECKED and agency_import.created == 1
    page = alice_client.get(reverse("agency-import-detail", args=[agency_import.pk])).content.decode()
    assert "1 note on how the file was read" in page
    assert "line 3: the same agency as line 2 (Troy PD, MI): merged into one" in page
    assert not Agency.objects.exists()


def test_the_admin_and_the_api_refuse_a_namesake_unless_the_cities_differ(db, client, alice):
    from .test_api import post_json

    AgencyFactory(name="Troy Police", state="MI", city="Troy")
    as_admin = {"exclude": ["normalized_name", "place_key"]}  # the admin's form leaves out the derived keys
    same = Agency(name="TROY police", state="MI", city="troy")
    with pytest.raises(ValidationError) as error:
        same.full_clean(**as_admin)
    assert error.value.message_dict["name"] == ["An agency with this name already exists in Troy, MI."]
    Agency(name="Troy Police", state="MI", city="Ohio").full_clean(**as_admin)  # another place: fine

    def create(**body):
        return post_json(client, "/api/agencies/", {"name": "Troy Police", "state": "MI", **body}, alice)

    same_city, no_city = create(city="TROY"), create()
    assert same_city.status_code == no_city.status_code == 400
    assert no_city.json()["name"] == ["An agency with this name already exists in Troy, MI."]
    assert create(city="Ohio").status_code == 201
    assert Agency.objects.filter(normalized_name="troy police").count() == 2

"""Agency import: loose headers and states, every problem with its line, nothing half written, batched."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from foia.imports import (
    AgencyImportError,
    agencies_import,
    agency_file_parse,
    agency_kind,
    campaign_for_import,
    state_code,
)
from foia.models import Agency, AgencyKind, Campaign

from .factories import AgencyFactory, CampaignFactory

SAMPLE = Path(__file__).resolve().parent.parent / "foia" / "data" / "ring_agencies_sample.csv"

MESSY = (
    "\ufeffAgency Name , ST,Town,E-Mail,Website,Mailing Address,Type,Ring Partner Since,Source URL\r\n"
    "Troy Police Department,  michigan ,Troy,records@troymi.example,https://troymi.example/foia,"
    '"500 W Big Beaver Rd\r\nTroy, MI 48084",Police,2019-04,https://news.example/troy\r\n'
    "Dallas County Sheriff's Office, texas,Dallas,,www.dallascounty.example/records,,SHERIFF,2019,\r\n"
    "Metropolitan Police Department,Dist. of Columbia,Washington,foia@mpd.example,,,police,,\r\n"
    "Van Buren Township Public Safety Department, MI ,Van Buren Township,,,,public_safety,,\r\n"
    "\r\n"
    "Federal Bureau of Investigation,Federal,Washington,,https://efoia.fbi.example,,Federal agency,,\r\n"
)


def run_import(data: bytes, **kwargs):
    return agencies_import(parsed=agency_file_parse(data), **kwargs)


def problems(data: bytes) -> list[str]:
    return [str(problem) for problem in agency_file_parse(data).problems]


def command(path, *args) -> str:
    out = io.StringIO()
    call_command("import_agencies", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.parametrize(
    ("raw", "code"),
    [("michigan", "MI"), (" MI ", "MI"), ("mi", "MI"), ("NEW  YORK", "NY"), ("Dist. of Columbia", "DC"),
     ("District of Columbia", "DC"),
     ("D.C.", "DC"), ("Federal", "US"), ("US", "US"), ("Narnia", None), ("", None)],
)  # fmt: skip
def test_states_are_read_as_codes_or_full_names_in_any_case(raw, code):
    assert state_code(raw) == code


def test_agency_kinds_map_to_the_model_choices_and_unknown_ones_to_other():
    assert agency_kind("police") == AgencyKind.POLICE
    assert agency_kind("Sheriff's Office") == AgencyKind.SHERIFF
    assert agency_kind("public_safety") == AgencyKind.PUBLIC_SAFETY
    assert agency_kind("State Police") == AgencyKind.STATE_POLICE
    assert agency_kind("university") == AgencyKind.OTHER
    assert agency_kind("", "Oakland County Sheriff") == AgencyKind.SHERIFF


def test_a_messy_file_imports_with_full_state_names_bom_crlf_other_headers_and_extra_columns(db):
    result = run_import(MESSY.encode())
    assert (result.created, result.updated, result.unchanged) == (5, 0, 0)
    troy = Agency.objects.get(name="Troy Police Department")
    assert (troy.state, troy.city, troy.kind) == ("MI", "Troy", AgencyKind.POLICE)
    assert troy.email == "records@troymi.example"
    assert troy.portal_url == "https://troymi.example/foia"
    assert troy.address == "500 W Big Beaver Rd\nTroy, MI 48084"
    assert troy.extra == {"Ring Partner Since": "2019-04", "Source URL": "https://news.example/troy"}
    dallas = Agency.objects.get(state="TX")
    assert dallas.kind == AgencyKind.SHERIFF
    assert dallas.portal_url == "https://www.dallascounty.example/records"
    assert Agency.objects.get(state="DC").name == "Metropolitan Police Department"
    assert Agency.objects.get(state="US").kind == AgencyKind.FEDERAL
    assert Agency.objects.get(city="Van Buren Township").kind == AgencyKind.PUBLIC_SAFETY


def test_agencies_without_any_contact_are_imported_and_flagged(db):
    result = run_import(MESSY.encode())
    assert result.needing_contact == 1
    assert list(Agency.objects.needing_contact().values_list("city", flat=True)) == ["Van Buren Township"]
    assert Agency.objects.get(city="Van Buren Township").needs_contact


def test_the_real_sample_imports_35_agencies_and_reimporting_changes_nothing(db):
    first = run_import(SAMPLE.read_bytes())
    assert (first.created, first.updated, first.unchanged) == (35, 0, 0)
    again = run_import(SAMPLE.read_bytes())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 35)
    assert Agency.objects.count() == 35
    auburn = Agency.objects.get(name="Auburn Hills Police Department")
    assert auburn.extra["on_ring_aug2019_map"] == "yes"
    assert auburn.extra["source_url"].startswith("https://www.fox47news.com/")
    assert Agency.objects.needing_contact().count() == 35


def test_an_agency_already_known_by_normalised_name_and_state_is_updated_not_duplicated(db):
    known = AgencyFactory(name="Troy Police Dept.", state="MI", email="", city="")
    known_elsewhere = AgencyFactory(name="Troy Police Department", state="OH")
    data = b"name,state,email,city\nTROY police dept,MI,foia@troy.example,Troy\n"
    result = run_import(data)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    known.refresh_from_db()
    assert (known.name, known.email, known.city) == ("Troy Police Dept.", "foia@troy.example", "Troy")
    assert Agency.objects.count() == 2 and known_elsewhere.email != "foia@troy.example"


def test_an_empty_cell_never_erases_a_stored_contact(db):
    known = AgencyFactory(name="Troy Police Department", state="MI", email="records@troy.example")
    known.extra = {"partnership_date": "2019"}
    known.save()
    result = run_import(
        b"agency,state,email,partnership_date,source_url\nTroy Police Department,MI,,,https://x\n"
    )
    assert (result.updated, result.unchanged) == (1, 0)
    known.refresh_from_db()
    assert known.email == "records@troy.example"
    assert known.extra == {"partnership_date": "2019", "source_url": "https://x"}


def test_a_campaign_gets_the_imported_agencies_once(db):
    campaign = CampaignFactory()
    assert run_import(SAMPLE.read_bytes(), campaign=campaign).added_to_campaign == 35
    assert run_import(SAMPLE.read_bytes(), campaign=campaign).added_to_campaign == 0
    assert campaign.agencies.count() == 35


def test_a_dry_run_counts_but_writes_nothing(db):
    result = run_import(SAMPLE.read_bytes(), dry_run=True)
    assert (result.created, result.dry_run) == (35, True)
    assert Agency.objects.count() == 0


def test_the_write_is_batched_so_queries_do_not_grow_with_rows(db, django_assert_max_num_queries):
    def rows(count):
        lines = ["agency,state,email"] + [f"Agency {count}-{n},MI,a{n}@x.example" for n in range(count)]
        return "\n".join(lines).encode()

    small, large = agency_file_parse(rows(10)), agency_file_parse(rows(600))
    # savepoint, existing agencies, one INSERT, savepoint release (plus SQLite's limit probe: none)
    with django_assert_max_num_queries(4):
        agencies_import(parsed=small)
    with django_assert_max_num_queries(4):
        agencies_import(parsed=large)
    assert Agency.objects.count() == 610


def test_creates_and_updates_in_one_file_are_one_upsert(db, django_assert_num_queries):
    AgencyFactory.create_batch(3, state="MI", email="")
    names = list(Agency.objects.values_list("name", flat=True))
    lines = ["agency,state,email"] + [f"{name},MI,new{n}@x.example" for n, name in enumerate(names)]
    lines += [f"Brand New {n} PD,mi,b{n}@x.example" for n in range(300)]
    parsed = agency_file_parse("\n".join(lines).encode())
    # savepoint, existing agencies of the file's states, one INSERT ... ON CONFLICT DO UPDATE, release
    with django_assert_num_queries(4):
        result = agencies_import(parsed=parsed)
    assert (result.created, result.updated, result.unchanged) == (300, 3, 0)
    assert Agency.objects.count() == 303
    assert sorted(Agency.objects.filter(name__in=names).values_list("email", flat=True)) == [
        "new0@x.example",
        "new1@x.example",
        "new2@x.example",
    ]
    assert len(set(result.agency_ids)) == 303
    assert set(result.agency_ids) == set(Agency.objects.values_list("pk", flat=True))


# --- Bad input: each problem with its line, and nothing written ------------------------------------------

LONG_DOMAIN = ".".join(["a" * 60] * 5) + ".example"  # a valid address shape, 312 characters
# Found by the hardening review (issue 14): each was a 500 or a database error before.
ISSUE_14_BAD_INPUTS = [
    (b",,,\n,,\n,,,,\n", "line 1: the file has no header row: every line is empty"),
    (
        b"agency,state,source,Source\nTroy PD,MI,a,b\n",
        "line 1: column 'Source' appears twice (columns 3 and 4)",
    ),
    (
        b'agency,state,notes\nTroy PD,MI,"' + b"x" * (128 * 1024 + 1) + b'"\n',
        "line 2: cannot read this row: field larger than field limit (131072)",
    ),
    (
        f"agency,state,email\nTroy PD,MI,r@{LONG_DOMAIN}\n".encode(),
        "line 2, column email: longer than 254 characters (314)",
    ),
    (
        b"agency,state,portal\nTroy PD,MI,https://troy.example/" + b"a" * 500 + b"\n",
        "line 2, column portal: longer than 500 characters (521)",
    ),
    (b"agency,state\nTroy\x00 PD,MI\n", "line 2, column agency: contains a NUL byte"),
    (b"agency,state,notes\nTroy PD,MI,a\x00b\n", "line 2, column notes: contains a NUL byte"),
]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "line 1: the file is empty"),
        (b"\xef\xbb\xbf  \r\n", "line 1: the file is empty"),
        (b"Troy Police Department,Troy,MI\n", "line 1: no header row"),
        (b"agency,city\nTroy PD,Troy\n", "line 1: missing required column 'state'"),
        (b"city,state\nTroy,MI\n", "line 1: missing required column 'name'"),
        (b"agency,name,state\nA,B,MI\n", "line 1: columns 'agency' and 'name' both mean name"),
        (b"agency,state\n", "line 1: the file has a header but no agency rows"),
        (b"agency,state\nTroy PD,MI\nLansing PD,Narnia\n", "line 3, column state: unknown state 'Narnia'"),
        (b"agency,state\nTroy PD,\n", "line 2, column state: the state is empty"),
        (b"agency,state\n,MI\n", "line 2, column agency: the agency name is empty"),
        (
            b"agency,state,email\nTroy PD,MI,records at troy\n",
            "line 2, column email: 'records at troy' is not",
        ),
        (b"agency,state,portal\nTroy PD,MI,not a url\n", "line 2, column portal: 'not a url' is not a web"),
        (
            b"agency,state,email\nTroy PD,MI,a@troy.gov\nTROY  pd.,mi,b@troy.gov\n",
            "line 3, column email: the same agency as line 2 (Troy PD, MI) with a different email",
        ),
        (b"agency,state\nTroy PD,MI\nCaf\x81 PD,MI\n", "line 3: byte 0x81 at character 4 is not UTF-8"),
        (b"PK\x03\x04\x14\x00", "line 1: this is a spreadsheet workbook or zip file, not CSV"),
        (b"agency,state\nTroy PD,MI,extra,cells\n", "line 2: 4 values but the header has 2 columns"),
        *ISSUE_14_BAD_INPUTS,
    ],
)
def test_each_bad_input_is_reported_with_its_line(db, data, expected):
    found = problems(data)
    assert any(problem.startswith(expected) for problem in found), found
    with pytest.raises(AgencyImportError):
        run_import(data)
    assert Agency.objects.count() == 0


def test_a_file_with_one_bad_row_imports_nothing_and_lists_every_problem(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"agency,state,email\nGood PD,MI,a@x.example\nBad PD,ZZ,a@x.example\nWorse PD,MI,@@\n")
    with pytest.raises(CommandError) as error:
        command(path)
    assert "nothing imported, 2 problems:" in str(error.value)
    assert "line 3, column state: unknown state 'ZZ'" in str(error.value)
    assert "line 4, column email" in str(error.value)
    assert Agency.objects.count() == 0


def test_line_breaks_and_tabs_inside_one_line_values_become_single_spaces(db):
    data = b'agency,state,city,email\n"Troy\r\nPolice\tDepartment",MI,"Troy\n",records@troy.example\n'
    assert problems(data) == []
    run_import(data)
    agency = Agency.objects.get()
    assert (agency.name, agency.city) == ("Troy Police Department", "Troy")  # a name reaches email headers


def test_an_agency_saved_elsewhere_never_keeps_a_line_break_in_its_name(db):
    agency = AgencyFactory(name="Troy\r\nBcc: victim@example.org")
    agency.refresh_from_db()
    assert agency.name == "Troy Bcc: victim@example.org"


def test_a_postal_address_keeps_its_lines(db):
    run_import(b'agency,state,address\nTroy PD,MI,"500 W Big Beaver Rd\nTroy, MI 48084"\n')
    assert Agency.objects.get().address == "500 W Big Beaver Rd\nTroy, MI 48084"


def test_line_numbers_count_physical_lines_across_quoted_addresses(db):
    data = b'agency,state,address\nA PD,MI,"1 Main St\nTroy"\nB PD,XX,\n'
    assert problems(data) == ["line 4, column state: unknown state 'XX'"]


# --- The command ------------------------------------------------------------------------------------------


def test_the_command_prints_counts_and_reimporting_reports_all_unchanged(db):
    assert "35 created, 0 updated, 0 unchanged" in command(SAMPLE)
    assert "0 created, 0 updated, 35 unchanged" in command(SAMPLE)


def test_the_command_creates_the_named_campaign_with_a_slug_and_prefix(db):
    out = command(SAMPLE, "--campaign", "Ring doorbells")
    campaign = Campaign.objects.get(title="Ring doorbells")
    assert (campaign.slug, campaign.tracking_prefix) == ("ring-doorbells", "RING")
    assert "Created campaign" in out and campaign.agencies.count() == 35
    command(SAMPLE, "--campaign", "Ring doorbells")
    assert Campaign.objects.count() == 1


def test_a_new_campaign_gets_a_unique_slug_and_prefix(db):
    CampaignFactory(title="Old", slug="ring-doorbells", tracking_prefix="RING")
    campaign, created = campaign_for_import(name="Ring Doorbells!")
    assert created is True
    assert (campaign.slug, campaign.tracking_prefix) == ("ring-doorbells-2", "RING2")


def test_the_command_dry_run_writes_nothing(db):
    out = command(SAMPLE, "--dry-run", "--campaign", "Never made")
    assert "35 created" in out and "dry run" in out
    assert Agency.objects.count() == 0 and not Campaign.objects.exists()


def test_the_command_reports_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        command(tmp_path / "missing.csv")


# --- The demo ---------------------------------------------------------------------------------------------


def test_load_demo_creates_the_ring_campaign_with_ring_partners_and_is_idempotent(db):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=out)
    campaign = Campaign.objects.get(slug="ring-partnerships")
    assert (campaign.title, campaign.tracking_prefix) == ("Ring partnerships with police", "RING")
    assert campaign.requester_email == "demo.reporter@newsroom.example"
    assert campaign.requester_name == "Demo Reporter" and campaign.requester_outlet == "Demo Newsroom"
    assert any("ring.com" in item for item in campaign.records_list)
    # No end date: "records created on or after" reads right whichever day each letter is dated.
    assert str(campaign.date_from) == "2018-01-01" and campaign.date_to is None
    assert campaign.fee_waiver_text and campaign.requester_address
    assert campaign.agencies.count() == 407 and Agency.objects.count() == 407
    assert "0 created, 0 updated, 407 unchanged" in out.getvalue()

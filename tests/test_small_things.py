"""Issue 15's small things a user notices, each checked where nothing else checks it."""

import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import get_commands
from django.urls import reverse

from foia import campaigns

from .factories import AgencyFactory, CampaignFactory, LawFactory

ROOT = Path(settings.BASE_DIR)


def test_a_letter_pdf_is_stored_and_downloaded_under_its_tracking_number(alice_client):
    LawFactory()
    campaign = CampaignFactory(tracking_prefix="RING", slug="ring")
    campaign.agencies.add(AgencyFactory(name="Auburn Hills Police Department", state="MI"))
    campaigns.campaign_generate_requests(campaign=campaign)
    (pk,) = campaigns.campaign_queue_letters(campaign=campaign, enqueue=False)
    campaigns.letter_generate(records_request_id=pk)
    records_request = campaign.requests.get()

    response = alice_client.get(reverse("letter-pdf", args=[pk]))

    assert Path(records_request.letter_pdf.name).name.startswith(records_request.tracking_number + "-")
    assert response.status_code == 200
    assert 'filename="RING-0001-MI-auburn-hills-police-department.pdf"' in response["Content-Disposition"]


def test_every_page_links_the_favicon_and_the_icon_is_a_static_file(alice_client):
    page = alice_client.get(reverse("campaign-list")).content.decode()

    assert '<link rel="icon" href="/static/foia/favicon.svg" type="image/svg+xml">' in page
    icon = finders.find("foia/favicon.svg")
    assert icon and Path(icon).read_text().lstrip().startswith("<svg")


def test_make_site_url_points_a_local_site_url_at_the_port_and_keeps_any_other(tmp_path):
    make = shutil.which("make")
    assert make, "the Makefile is the documented way to run the app: make must be installed"
    local, other = tmp_path / "local", tmp_path / "other"
    for folder, url in ((local, "http://127.0.0.1:8000"), (other, "https://foia.newsroom.example")):
        folder.mkdir()
        (folder / ".env").write_text(f"SECRET_KEY=kept\nSITE_URL={url}\nPORT_NOTE=8000\n")
        subprocess.run(  # noqa: S603
            [make, "-s", "-f", str(ROOT / "Makefile"), "-C", str(folder), "site-url", "PORT=8123"],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip

    assert (local / ".env").read_text() == "SECRET_KEY=kept\nSITE_URL=http://127.0.0.1:8123\nPORT_NOTE=8000\n"
    assert "SITE_URL=https://foia.newsroom.example\n" in (other / ".env").read_text()


def test_the_readme_says_how_to_reset_a_lost_password_with_a_command_that_exists():
    readme = (ROOT / "README.md").read_text()

    assert "**Lost the password?** `.venv/bin/python manage.py changepassword editor`" in readme
    assert "changepassword" in get_commands()


def test_a_second_make_run_says_how_to_reset_the_login_it_does_not_print_again(db):
    import io

    from django.core.management import call_command

    first, second = io.StringIO(), io.StringIO()
    call_command("ensure_login", stdout=first)
    call_command("ensure_login", stdout=second)

    assert "password: " in first.getvalue() and "changepassword editor" in first.getvalue()
    assert "password: " not in second.getvalue()
    assert "lost it? .venv/bin/python manage.py changepassword editor" in second.getvalue()


def test_import_agencies_counts_one_problem_in_the_singular(db, tmp_path):
    import io

    import pytest
    from django.core.management import CommandError, call_command

    path = tmp_path / "bad.csv"
    path.write_bytes(b"agency,state,email\nGood PD,MI,a@x.example\nBad PD,ZZ,a@x.example\n")

    with pytest.raises(CommandError) as error:
        call_command("import_agencies", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    assert "nothing imported, 1 problem:\n  line 3, column state: unknown state 'ZZ'" in str(error.value)

"""Generate every letter of a campaign in this process (no worker needed), with a progress bar."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from foia.campaigns import (
    CampaignError,
    campaign_contact_warning,
    campaign_generate_requests,
    campaign_letters_with_pdf,
    campaign_progress,
    campaign_queue_letters,
    campaign_requester_warnings,
    letter_generate,
    pdfs_merge,
    unique_filenames,
)
from foia.models import Campaign


class Command(BaseCommand):
    help = (
        "Write (or regenerate) the campaign's draft letters and PDFs. With --out DIR, also write one PDF "
        "per agency and one merged PDF of all letters into DIR."
    )

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="Campaign slug or id.")
        parser.add_argument(
            "--out", type=Path, help="Folder for one PDF per agency plus <slug>-all-letters.pdf."
        )

    def handle(self, *args, campaign: str, out: Path | None, **options):
        found = Campaign.objects.filter(slug=campaign).first()
        if found is None and campaign.isdigit():
            found = Campaign.objects.filter(pk=int(campaign)).first()
        if found is None:
            raise CommandError(f'No campaign with slug or id "{campaign}".')
        try:
            campaign_generate_requests(campaign=found)
        except CampaignError as error:
            raise CommandError("Nothing generated:\n- " + "\n- ".join(error.messages)) from None
        warning = campaign_contact_warning(campaign=found)
        if warning:
            self.stderr.write(self.style.WARNING(warning))
        for line in campaign_requester_warnings(campaign=found):
            self.stderr.write(self.style.WARNING(line))
        ids = campaign_queue_letters(campaign=found, enqueue=False)  # rendered right here
        for pk in tqdm(ids, desc="Letters", unit="letter", file=self.stderr._out):
            letter_generate(records_request_id=pk)
        progress = campaign_progress(campaign=found)
        self.stdout.write(f"{progress['ready']} letters ready, {progress['failed']} failed.")
        for failed in found.requests.filter(letter_state="failed").select_related("agency"):
            self.stderr.write(f"{failed.tracking_number} {failed.agency.name}: {failed.letter_error}")
        if out:
            self._write_out(found, out)

    def _write_out(self, campaign: Campaign, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        named = unique_filenames(campaign_letters_with_pdf(campaign=campaign))
        for records_request, name in named:
            with records_request.letter_pdf.open("rb") as source:
                (out / name).write_bytes(source.read())
        merged = out / f"{campaign.slug}-all-letters.pdf"
        with merged.open("wb") as handle:
            pages = pdfs_merge(sources=((out / name).read_bytes() for _, name in named), fileobj=handle)
        self.stdout.write(f"Wrote {len(named)} PDFs and {merged} ({pages} pages) to {out}.")

"""The app's configuration: connects the findings matrix's signal receivers (foia.findings.signals)."""

from django.apps import AppConfig


class FoiaConfig(AppConfig):
    name = "foia"

    def ready(self) -> None:
        from .findings import signals  # noqa: F401 - connects the receivers

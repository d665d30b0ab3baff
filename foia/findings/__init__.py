"""Findings across agencies: a campaign's questions answered for every agency (foia.search.rules decides),
people's overrides kept apart, each document compared with its kind's reference, near-duplicates grouped."""

"""The jurisdictions the app knows: 50 states, DC and "US" for the federal FOIA — the one list of them.

Territories are left out because no law row covers them.
"""

FEDERAL = "US"

NAMES: dict[str, str] = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "US": "United States (federal)",
}

JURISDICTIONS: frozenset[str] = frozenset(NAMES)
STATES: frozenset[str] = JURISDICTIONS - {FEDERAL}


def jurisdiction_choices(empty_label: str | None = None) -> list[tuple[str, str]]:
    """(code, "MI — Michigan") pairs sorted by code, for form fields; an empty first choice when labelled."""
    choices = [(code, f"{code} — {NAMES[code]}") for code in sorted(NAMES)]
    return [("", empty_label), *choices] if empty_label is not None else choices

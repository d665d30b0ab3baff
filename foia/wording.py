"""Counted nouns for messages: "1 agency", "2 agencies", never "1 agencies" or "1 file(s)"."""


def counted(n: int, singular: str, plural: str = "") -> str:
    """The number and the noun in its form: counted(1, "day") -> "1 day", counted(3, "day") -> "3 days"."""
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"

"""The one name-filter rule, as cases every kind that filters here is tested with."""

from __future__ import annotations

#: The notebook names the cases filter.
NAMES = ("[draft] plan", "Qa review", "Q? review")

#: (filter text, the names it keeps, sorted).
CASES = [
    ("Q?", ["Q? review"]),  # '?' stands for itself, as for every kind
    ("[draft]", ["[draft] plan"]),
    ("q*review", ["Q? review", "Qa review"]),
    ("*plan", ["[draft] plan"]),
    ("", ["Q? review", "Qa review", "[draft] plan"]),
    ("  ", ["Q? review", "Qa review", "[draft] plan"]),
]

"""Text that spreadsheet software must not take for a formula, in every export (CSV, XLSX)."""

# OWASP's "CSV injection" list: what makes a cell a formula (or a DDE call) once a spreadsheet opens it.
FORMULA_STARTS = frozenset("=+-@\t\r")


def starts_like_formula(text: str) -> bool:
    """True when a spreadsheet could read this text as a formula, were it typed into a cell."""
    return text[:1] in FORMULA_STARTS

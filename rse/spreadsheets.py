"""Text that spreadsheet software must not take for a formula, in every export (CSV, XLSX)."""

# OWASP's "CSV injection" list: what makes a cell a formula (or a DDE call) once a spreadsheet opens it.
FORMULA_STARTS = frozenset("=+-@\t\r")


def starts_like_formula(text: str) -> bool:
    """True when a spreadsheet could read this text as a formula, were it typed into a cell."""
    return text[:1] in FORMULA_STARTS


def put_text(cell, text: str) -> None:
    """Write `text` into an openpyxl cell as text that no spreadsheet evaluates, whatever it starts with.

    openpyxl would store "=…" as a formula: the cell is kept a string, and Excel's quote prefix
    keeps it one when someone edits the cell, without adding an apostrophe to the text itself.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("", text)  # control characters XML cannot carry
    cell.value = text
    if starts_like_formula(text):
        cell.data_type = "s"
        cell.quotePrefix = True

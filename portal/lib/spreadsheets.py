"""CSV and XLSX cells that a spreadsheet shows as written and never runs (OWASP "CSV injection")."""

# A spreadsheet reads a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXPORT_FORMATS = ("csv", "xlsx")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def spreadsheet_safe(value):
    """Text for a CSV cell: "=SUM(A1)" becomes "'=SUM(A1)"."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_row(values) -> list:
    return [spreadsheet_safe(value) if value is not None else "" for value in values]


def keep_as_text(cell):
    """An openpyxl cell holding a string: text, never a formula.

    openpyxl stores a string starting with "=" as a formula. Every text cell
    is typed as text, and formula-like text gets Excel's own apostrophe
    (quotePrefix), so that the cell stays text even after an edit.
    """
    cell.data_type = "s"
    if cell.value.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True
    return cell

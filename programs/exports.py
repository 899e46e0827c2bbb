"""The review queue as CSV and XLSX: the filtered proposals with a totals row.

Formula escaping comes from portal.lib.spreadsheets, as for every export, so a
title like "=HYPERLINK(...)" stays text.
"""

import csv
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from portal.lib.formats import wita
from portal.lib.spreadsheets import EXPORT_FORMATS, XLSX_CONTENT_TYPE, csv_row, keep_as_text

__all__ = ["EXPORT_FORMATS", "XLSX_CONTENT_TYPE", "queue_csv", "queue_xlsx"]

# Columns holding Rupiah (1-based, for the XLSX number format); the last two.
MONEY_COLUMNS = (14, 15)
SUBMITTED_COLUMN = 11


def _headers():
    return [
        _("No."),
        _("Siklus"),
        _("Kecamatan"),
        _("Kelurahan"),
        _("Lembaga"),
        _("Judul"),
        _("Bidang"),
        _("Jenis kegiatan"),
        _("Prioritas"),
        _("Status"),
        _("Diajukan (WITA)"),
        _("Lama di status ini (hari)"),
        _("Rekomendasi forum"),
        _("Anggaran diusulkan (Rp)"),
        _("Anggaran disetujui (Rp)"),
    ]


def _forum_text(proposal):
    recommendation = getattr(proposal, "recommendation", None)
    if recommendation is None:
        return ""
    return _("Direkomendasikan") if recommendation.recommends else _("Tidak direkomendasikan")


def _status_text(proposal):
    label = proposal.get_status_display()
    if proposal.status in proposal.DECIDED and proposal.decision_published_at is None:
        return _("%(status)s (belum diumumkan)") % {"status": label}
    return label


def _row(number, proposal, now):
    region = proposal.board.region
    # Spreadsheets have no time zones: the wall time in WITA, as the header says.
    submitted = wita(proposal.submitted_at).replace(tzinfo=None) if proposal.submitted_at else None
    return [
        number,
        proposal.cycle.name,
        region.parent.name if region.parent_id else "",
        region.name,
        proposal.board.name,
        proposal.title,
        proposal.category.name,
        _("Fisik") if proposal.is_physical else _("Non-fisik"),
        proposal.priority,
        _status_text(proposal),
        submitted,
        max(proposal.age_in_status(now).days, 0),
        _forum_text(proposal),
        proposal.total_requested,
        proposal.approved_budget,
    ]


def _totals_row(totals):
    row = [None] * len(_headers())
    row[1] = _("Jumlah (%(count)s usulan)") % {"count": totals["count"]}
    row[MONEY_COLUMNS[0] - 1] = totals["requested"]
    row[MONEY_COLUMNS[1] - 1] = totals["approved"]
    return row


def queue_csv(proposals, totals, now=None) -> bytes:
    now = now or timezone.now()
    # UTF-8 with a byte-order mark, so that Excel shows names with accents correctly.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_headers())
    rows = [_row(number, proposal, now) for number, proposal in enumerate(proposals, start=1)]
    for row in rows:
        if row[SUBMITTED_COLUMN - 1] is not None:
            row[SUBMITTED_COLUMN - 1] = row[SUBMITTED_COLUMN - 1].strftime("%Y-%m-%d %H.%M")
    rows.append(_totals_row(totals))
    for row in rows:
        writer.writerow(csv_row(row))
    return buffer.getvalue().encode("utf-8-sig")


def _put(sheet, row_number, values):
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row_number, column=column)
        cell.value = value
        if isinstance(value, str):
            keep_as_text(cell)
        elif column in MONEY_COLUMNS:
            cell.number_format = "#,##0"
        elif column == SUBMITTED_COLUMN and value is not None:
            cell.number_format = "dd/mm/yyyy hh:mm"


def queue_xlsx(proposals, totals, *, title="", now=None) -> bytes:
    now = now or timezone.now()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Usulan")[:31]
    sheet.append(_headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    row_number = 1
    for row_number, proposal in enumerate(proposals, start=2):
        _put(sheet, row_number, _row(row_number - 1, proposal, now))
    _put(sheet, row_number + 1, _totals_row(totals))
    for cell in sheet[row_number + 1]:
        cell.font = Font(bold=True)
    widths = [5, 22, 20, 20, 26, 40, 22, 12, 9, 24, 17, 12, 22, 18, 18]
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    if title:
        workbook.properties.title = title[:255]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

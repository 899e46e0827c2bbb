"""The RSVP table of a meeting: rows and totals for the staff page, and its CSV/XLSX export.

Everything is computed from one query on the invitations' snapshot columns, so
the page and the files cost the same for 10 or 300 invitees.
"""

import csv
import io
from collections import OrderedDict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from portal.lib.formats import wita
from portal.lib.spreadsheets import csv_row, keep_as_text

from .models import Invitation, Meeting

ANSWERS = (
    Invitation.Rsvp.ACCEPTED,
    Invitation.Rsvp.DECLINED,
    Invitation.Rsvp.DELEGATED,
    Invitation.Rsvp.PENDING,
)


@dataclass
class Tally:
    """Answers counted for one group (a kecamatan, a board, or everyone)."""

    name: str = ""
    kecamatan: str = ""
    accepted: int = 0
    declined: int = 0
    delegated: int = 0
    pending: int = 0

    @property
    def total(self):
        return self.accepted + self.declined + self.delegated + self.pending

    @property
    def coming(self):
        """People expected in the room: those who accepted and the delegates."""
        return self.accepted + self.delegated

    def count(self, answer):
        setattr(self, answer, getattr(self, answer) + 1)


@dataclass
class RsvpSummary:
    invitations: list
    overall: Tally
    by_kecamatan: list = field(default_factory=list)
    by_board: list = field(default_factory=list)


def rsvp_invitations(meeting: Meeting):
    """Who was invited (walk-ins were not, and gave no answer), in the model's order."""
    return meeting.invitations.filter(is_walk_in=False).only(
        "meeting_id", "name", "email", "board_name", "kecamatan_name", "position", "is_guest", "rsvp",
        "delegate_name", "delegate_email", "responded_at",
    )


def rsvp_summary(meeting: Meeting) -> RsvpSummary:
    invitations = list(rsvp_invitations(meeting))
    overall = Tally(name=_("Semua undangan"))
    kecamatan = OrderedDict()
    boards = OrderedDict()
    for invitation in invitations:
        kec_name = invitation.kecamatan_name or _("Tanpa kecamatan (tamu atau tingkat kota)")
        board_name = invitation.board_name or _("Tanpa lembaga")
        overall.count(invitation.rsvp)
        kecamatan.setdefault(kec_name, Tally(name=kec_name)).count(invitation.rsvp)
        boards.setdefault((kec_name, board_name), Tally(name=board_name, kecamatan=kec_name)).count(invitation.rsvp)
    return RsvpSummary(
        invitations=invitations,
        overall=overall,
        by_kecamatan=sorted(kecamatan.values(), key=lambda t: t.name.lower()),
        by_board=sorted(boards.values(), key=lambda t: (t.kecamatan.lower(), t.name.lower())),
    )


# --- files ------------------------------------------------------------------------------------


def _headers():
    return [
        _("No."),
        _("Nama"),
        _("Lembaga"),
        _("Kecamatan"),
        _("Jabatan"),
        _("Jawaban"),
        _("Nama wakil"),
        _("E-mail wakil"),
        _("Waktu menjawab (WITA)"),
    ]


def _row(number, invitation):
    # Spreadsheets have no time zones: the wall time in WITA, as the header says.
    answered = wita(invitation.responded_at).replace(tzinfo=None) if invitation.responded_at else None
    return [
        number,
        invitation.name,
        invitation.board_name,
        invitation.kecamatan_name,
        invitation.position,
        invitation.get_rsvp_display(),
        invitation.delegate_name,
        invitation.delegate_email,
        answered,
    ]


def rsvp_csv(invitations) -> bytes:
    # UTF-8 with a byte-order mark, so that Excel shows names with accents correctly.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_headers())
    for number, invitation in enumerate(invitations, start=1):
        row = _row(number, invitation)
        if row[-1] is not None:
            row[-1] = row[-1].strftime("%Y-%m-%d %H.%M")
        writer.writerow(csv_row(row))
    return buffer.getvalue().encode("utf-8-sig")


def rsvp_xlsx(invitations, *, title="") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Jawaban")[:31]
    headers = _headers()
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, invitation in enumerate(invitations, start=1):
        for column, value in enumerate(_row(number, invitation), start=1):
            cell = sheet.cell(row=number + 1, column=column)
            cell.value = value
            if isinstance(value, str):
                keep_as_text(cell)
            elif column == len(headers) and value is not None:
                cell.number_format = "dd/mm/yyyy hh:mm"
    widths = [5, 30, 30, 22, 18, 14, 26, 28, 18]
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    if title:
        workbook.properties.title = title[:255]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

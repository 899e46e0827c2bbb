"""XLSX exports: the membership directory, attendance per meeting, proposals with their budgets.

An export is described first (``export_spec``: its sheets, their headers, a
count and a lazy row source for each) and written second (``write_xlsx``), so
that a view can count the rows, build a small file at once, and leave a large
one to a Celery worker (``reports.tasks``) that writes the same file while
reporting its progress.

Rows are read with ``iterator()`` over joined querysets: a fixed number of
queries and bounded memory whatever the size. Text cells stay text: formula-like
values get Excel's quote prefix, as in meetings.exports.
"""

import datetime
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from meetings.models import Invitation, Meeting
from organizations.models import Board, Membership
from organizations.selectors import POSITION_ORDER
from portal.lib.formats import WITA, wita
from portal.lib.spreadsheets import XLSX_CONTENT_TYPE, keep_as_text
from programs.models import BudgetLine, Cycle, Proposal

from .models import ExportJob
from .selectors import APPROVED_ONWARDS, Scope

CHUNK = 500
MONEY_FORMAT = "#,##0"
__all__ = ["XLSX_CONTENT_TYPE", "export_spec", "write_xlsx", "async_threshold"]


def async_threshold() -> int:
    return settings.REPORTS_EXPORT_ASYNC_ROWS


@dataclass
class Column:
    header: str
    width: int = 16
    number_format: str | None = None


@dataclass
class Sheet:
    title: str
    columns: list
    count: Callable[[], int]
    rows: Callable[[], Iterable[list]]


@dataclass
class ExportSpec:
    kind: str
    title: str
    filename: str
    sheets: list

    def row_count(self) -> int:
        return sum(sheet.count() for sheet in self.sheets)


class ExportError(ValueError):
    """The parameters name nothing that exists (a deleted cycle, a bad year)."""


# --- cells -------------------------------------------------------------------------------------------


def _cell(sheet, value, column: Column):
    if isinstance(value, datetime.datetime):
        # Spreadsheets have no time zones: the wall time in WITA, as the header says.
        value = wita(value).replace(tzinfo=None)
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        keep_as_text(cell)
    elif isinstance(value, datetime.datetime):
        cell.number_format = "dd/mm/yyyy hh:mm"
    elif isinstance(value, datetime.date):
        cell.number_format = "dd/mm/yyyy"
    elif column.number_format and value is not None:
        cell.number_format = column.number_format
    return cell


def write_xlsx(spec: ExportSpec, *, progress: Callable[[int], None] | None = None) -> bytes:
    """The workbook as bytes; ``progress(rows_written)`` is called every CHUNK rows."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = spec.title[:255]
    written = 0
    bold = Font(bold=True)
    for sheet_spec in spec.sheets:
        sheet = workbook.create_sheet(title=sheet_spec.title[:31])
        for index, column in enumerate(sheet_spec.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        sheet.freeze_panes = "A2"
        header = []
        for column in sheet_spec.columns:
            cell = WriteOnlyCell(sheet, column.header)
            cell.data_type = "s"
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in sheet_spec.rows():
            sheet.append([_cell(sheet, value, column) for value, column in zip(row, sheet_spec.columns)])
            written += 1
            if progress and written % CHUNK == 0:
                progress(written)
    buffer = io.BytesIO()
    workbook.save(buffer)
    if progress:
        progress(written)
    return buffer.getvalue()


# --- the membership directory (staff only: it holds every pengurus' contacts) ---------------------------


def _kecamatan_name(board):
    if board.kind == Board.Kind.LPM:
        return board.region.parent.name if board.region.parent else ""
    if board.kind == Board.Kind.FORUM:
        return board.region.name
    return ""


def directory_spec(access, params, *, today=None) -> ExportSpec:
    if not access.can_export_directory():
        raise PermissionDenied
    today = today or timezone.localdate()
    memberships = (
        Membership.objects.active(today)
        .select_related("person", "board__region__parent")
        .annotate(position_rank=Case(
            *[When(position=value, then=Value(rank)) for value, rank in POSITION_ORDER.items()],
            default=Value(len(POSITION_ORDER)), output_field=IntegerField(),
        ))
        .order_by("board__region__code", "board__kind", "position_rank", "person__name", "pk")
    )

    def rows():
        for number, m in enumerate(memberships.iterator(chunk_size=CHUNK), start=1):
            yield [
                number, _kecamatan_name(m.board), m.board.name, m.board.get_kind_display(),
                m.get_position_display(), m.field_name, m.person.name, m.person.get_gender_display(),
                m.person.phone, m.person.email, m.start_date, m.end_date, m.sk_number,
            ]

    columns = [
        Column(_("No."), 6), Column(_("Kecamatan"), 20), Column(_("Lembaga"), 32), Column(_("Jenis lembaga"), 20),
        Column(_("Jabatan"), 22), Column(_("Bidang"), 20), Column(_("Nama"), 28), Column(_("Jenis kelamin"), 14),
        Column(_("Nomor HP/WhatsApp"), 18), Column(_("E-mail"), 28), Column(_("Mulai menjabat"), 14),
        Column(_("Akhir masa bakti"), 14), Column(_("Nomor SK"), 22),
    ]
    return ExportSpec(
        kind=ExportJob.Kind.DIRECTORY,
        title=_("Direktori pengurus LPM per %(date)s") % {"date": today.strftime("%d-%m-%Y")},
        filename=f"direktori-pengurus-{today:%Y-%m-%d}.xlsx",
        sheets=[Sheet(_("Pengurus"), columns, memberships.count, rows)],
    )


# --- attendance per meeting, for a year ---------------------------------------------------------------


def year_bounds(year: int):
    """[1 January, 1 January next year) in WITA, as aware datetimes."""
    start = datetime.datetime(year, 1, 1, tzinfo=WITA)
    return start, start.replace(year=year + 1)


def _year(params):
    try:
        year = int(params.get("year"))
    except (TypeError, ValueError):
        raise ExportError(_("Tahun tidak valid.")) from None
    if not 2000 <= year <= 2100:
        raise ExportError(_("Tahun tidak valid."))
    return year


def attendance_spec(access, params, *, now=None) -> ExportSpec:
    if not access.can_export_attendance():
        raise PermissionDenied
    year = _year(params)
    now = now or timezone.now()
    start, end = year_bounds(year)
    meetings = (
        Meeting.objects.filter(start__gte=start, start__lt=min(end, now))
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("start", "pk")
    )
    invited = Q(invitations__is_walk_in=False)
    summary = meetings.annotate(
        invited=Count("invitations", filter=invited),
        present=Count("invitations", filter=Q(invitations__attendance=Invitation.Attendance.PRESENT)),
        present_invited=Count(
            "invitations", filter=invited & Q(invitations__attendance=Invitation.Attendance.PRESENT)
        ),
        excused=Count("invitations", filter=Q(invitations__attendance=Invitation.Attendance.EXCUSED)),
        absent=Count("invitations", filter=Q(invitations__attendance=Invitation.Attendance.ABSENT)),
        unmarked=Count("invitations", filter=invited & Q(invitations__attendance="")),
        walk_ins=Count("invitations", filter=Q(invitations__is_walk_in=True)),
    )

    def summary_rows():
        for number, m in enumerate(summary.iterator(chunk_size=CHUNK), start=1):
            # No rate for a meeting whose sheet was never filled in: it would read as 0 %.
            taken = m.present + m.excused + m.absent
            rate = round(100 * m.present_invited / m.invited) if m.invited and taken else None
            yield [
                number, m.start, m.title, m.get_kind_display(), m.get_status_display(), m.invited, m.present,
                m.excused, m.absent, m.unmarked, m.walk_ins, rate,
            ]

    invitations = (
        Invitation.objects.filter(meeting__in=meetings.values("pk"))
        .select_related("meeting")
        .only("pk", "name", "board_name", "kecamatan_name", "position", "rsvp", "attendance", "is_guest",
              "is_walk_in", "meeting__start", "meeting__title")
        .order_by("meeting__start", "meeting_id", "is_walk_in", "kecamatan_name", "board_name", "name", "pk")
    )

    def invitation_rows():
        for number, i in enumerate(invitations.iterator(chunk_size=CHUNK), start=1):
            yield [
                number, i.meeting.start, i.meeting.title, i.name, i.board_name, i.kecamatan_name, i.position,
                _("Tamu") if i.is_guest else (_("Tanpa undangan") if i.is_walk_in else ""),
                "" if i.is_walk_in else i.get_rsvp_display(), i.get_attendance_display() if i.attendance else "",
            ]

    return ExportSpec(
        kind=ExportJob.Kind.ATTENDANCE,
        title=_("Kehadiran rapat tahun %(year)s") % {"year": year},
        filename=f"kehadiran-rapat-{year}.xlsx",
        sheets=[
            Sheet(_("Rekap per rapat"), [
                Column(_("No."), 6), Column(_("Mulai (WITA)"), 18), Column(_("Rapat"), 40), Column(_("Jenis"), 20),
                Column(_("Status"), 12), Column(_("Diundang"), 10), Column(_("Hadir"), 10), Column(_("Izin"), 10),
                Column(_("Tidak hadir"), 12), Column(_("Belum dicatat"), 14), Column(_("Hadir tanpa undangan"), 12),
                Column(_("Tingkat kehadiran (%)"), 14),
            ], meetings.count, summary_rows),
            Sheet(_("Daftar hadir"), [
                Column(_("No."), 6), Column(_("Mulai (WITA)"), 18), Column(_("Rapat"), 40), Column(_("Nama"), 28),
                Column(_("Lembaga"), 30), Column(_("Kecamatan"), 20), Column(_("Jabatan"), 18),
                Column(_("Keterangan"), 16), Column(_("Jawaban"), 14), Column(_("Kehadiran"), 14),
            ], invitations.count, invitation_rows),
        ],
    )


# --- proposals with their budgets, for a cycle ----------------------------------------------------------


def proposals_spec(access, params) -> ExportSpec:
    if not access.can_view_dashboard():
        raise PermissionDenied
    cycle = Cycle.objects.filter(pk=params.get("cycle") if str(params.get("cycle", "")).isdigit() else None).first()
    if cycle is None:
        raise ExportError(_("Siklus tidak ditemukan."))
    scope = Scope.of(access)
    proposals = (
        scope.proposals()
        .filter(cycle=cycle)
        .annotate(shown=scope.shown_status())
        .select_related("board__region__parent", "category")
        .order_by("board__region__code", "priority", "pk")
    )

    def proposal_rows():
        for p in proposals.iterator(chunk_size=CHUNK):
            # The approved budget only where the reader may know the decision (scope.approved_q).
            decided = p.status in APPROVED_ONWARDS and (scope.sees_decisions or p.decision_published_at)
            yield [
                p.pk, _kecamatan_name(p.board), p.board.name, p.category.name, p.title,
                _("Ya") if p.is_physical else _("Tidak"), str(Proposal.Status(p.shown).label), p.priority,
                p.beneficiary_count, p.total_requested, p.approved_budget if decided else None,
                p.spent if decided else None, p.progress_percent if decided else None, p.submitted_at,
            ]

    lines = (
        BudgetLine.objects.filter(proposal__in=proposals.values("pk"))
        .select_related("proposal__board")
        .only("pk", "item", "volume", "unit", "unit_cost", "subtotal", "position", "proposal__title",
              "proposal__board__name")
        .order_by("proposal__board__region__code", "proposal__priority", "proposal_id", "position", "pk")
    )

    def line_rows():
        for line in lines.iterator(chunk_size=CHUNK):
            yield [
                line.proposal_id, line.proposal.board.name, line.proposal.title, line.item, float(line.volume),
                line.unit, line.unit_cost, line.subtotal,
            ]

    return ExportSpec(
        kind=ExportJob.Kind.PROPOSALS,
        title=_("Usulan program %(cycle)s") % {"cycle": cycle.name},
        filename=f"usulan-{slugify(cycle.name)[:60] or cycle.pk}.xlsx",
        sheets=[
            Sheet(_("Usulan"), [
                Column(_("No. usulan"), 10), Column(_("Kecamatan"), 20), Column(_("Lembaga"), 30),
                Column(_("Bidang"), 24), Column(_("Judul"), 40), Column(_("Kegiatan fisik"), 10),
                Column(_("Status"), 16), Column(_("Prioritas"), 10), Column(_("Penerima manfaat"), 12),
                Column(_("Diusulkan (Rp)"), 16, MONEY_FORMAT), Column(_("Disetujui (Rp)"), 16, MONEY_FORMAT),
                Column(_("Realisasi (Rp)"), 16, MONEY_FORMAT), Column(_("Kemajuan (%)"), 12),
                Column(_("Diajukan pada (WITA)"), 18),
            ], proposals.count, proposal_rows),
            Sheet(_("Rincian anggaran"), [
                Column(_("No. usulan"), 10), Column(_("Lembaga"), 30), Column(_("Judul usulan"), 40),
                Column(_("Uraian"), 36), Column(_("Volume"), 10), Column(_("Satuan"), 12),
                Column(_("Harga satuan (Rp)"), 16, MONEY_FORMAT), Column(_("Jumlah (Rp)"), 16, MONEY_FORMAT),
            ], lines.count, line_rows),
        ],
    )


SPECS = {
    ExportJob.Kind.DIRECTORY: directory_spec,
    ExportJob.Kind.ATTENDANCE: attendance_spec,
    ExportJob.Kind.PROPOSALS: proposals_spec,
}


def export_spec(kind, access, params) -> ExportSpec:
    """What ``access`` may export of ``kind``; PermissionDenied or ExportError otherwise."""
    builder = SPECS.get(kind)
    if builder is None:
        raise ExportError(_("Jenis ekspor tidak dikenal."))
    return builder(access, params)

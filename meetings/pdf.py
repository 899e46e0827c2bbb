"""Printable documents of a meeting as PDF: invitation letter, attendance sheet, minutes.

They are official paper, so they are always in Indonesian whatever the
reader's UI language. WeasyPrint renders them without touching the network:
the fetcher below serves only data: URLs and files inside the project's own
static folder, and refuses everything else (a venue or a name that smuggles in
an URL must never make the server fetch it).
"""

import functools
import pathlib
from dataclasses import dataclass
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.text import slugify
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from portal.lib.formats import date_long, datetime_long, time_wita, wita

from .models import Invitation
from .selectors import attendance_sheet, attendance_summary, decision_lines, follow_ups_of_meeting

STATIC_DIR = pathlib.Path(settings.BASE_DIR) / "static"
PRINT_CSS = STATIC_DIR / "css" / "print.css"

# A few empty numbered rows on the attendance sheet for people not on the list.
BLANK_ROWS = 5


@dataclass(frozen=True)
class Letterhead:
    government: str = "PEMERINTAH KOTA BALIKPAPAN"
    # The office's name on two lines, broken where a printed letterhead breaks it.
    office: tuple = ("DINAS PEMBERDAYAAN PEREMPUAN, PERLINDUNGAN ANAK,", "DAN KELUARGA BERENCANA")
    # Placeholders until the office's own lines are configured: no invented address or names.
    address: str = "Jalan ........................................, Balikpapan, Kalimantan Timur"
    city: str = "Balikpapan"
    signatory_title: str = (
        "Kepala Dinas Pemberdayaan Perempuan, Perlindungan Anak, dan Keluarga Berencana Kota Balikpapan"
    )
    signatory_name: str = "...................................................."
    signatory_nip: str = "NIP ............................................."


def letterhead() -> Letterhead:
    # Settings may override any line (e.g. MEETINGS_LETTERHEAD = {"address": "..."}).
    return Letterhead(**getattr(settings, "MEETINGS_LETTERHEAD", {}))


class LocalOnlyFetcher(URLFetcher):
    """Serve data: URLs and files under STATIC_DIR; refuse every other URL."""

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = pathlib.Path(url2pathname(url.split("?", 1)[0].removeprefix("file:"))).resolve()
            if path.is_relative_to(STATIC_DIR.resolve()) and path.is_file():
                return super().fetch(url, headers)
        raise ValueError(f"Refused to fetch {url!r}: PDFs use only the portal's own files.")


def render_pdf(template_name: str, context: dict) -> bytes:
    fetcher = LocalOnlyFetcher(allowed_protocols={"file", "data"}, allow_redirects=False)
    html = render_to_string(template_name, {"letterhead": letterhead(), **context})
    document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[CSS(filename=str(PRINT_CSS), url_fetcher=fetcher)])


def in_indonesian(builder):
    """Official paper: dates, labels and choices in Indonesian whatever the UI language."""

    @functools.wraps(builder)
    def wrapper(*args, **kwargs):
        with translation.override("id"):
            return builder(*args, **kwargs)

    return wrapper


def filename_for(kind: str, meeting) -> str:
    """"undangan-rakor-lpm-triwulan-iv-2025-11-27.pdf": ASCII, short, dated."""
    title = slugify(meeting.title)[:60].strip("-") or "rapat"
    return f"{kind}-{title}-{wita(meeting.start):%Y-%m-%d}.pdf"


def when(meeting) -> dict:
    """Hari/tanggal and pukul as a letter writes them, in WITA."""
    start, end = wita(meeting.start), wita(meeting.end)
    if start.date() == end.date():
        hours = f"{start:%H.%M}–{time_wita(end)}"
    else:
        hours = f"{time_wita(start)} s.d. {datetime_long(end)}"
    return {"day": date_long(start), "hours": hours, "start": datetime_long(start)}


def letter_number(meeting) -> str:
    # 005 is the archive classification for invitations; the running number is
    # written in by the secretariat when the letter is registered.
    return f"005/........../DP3AKB/{wita(meeting.start):%Y}"


@in_indonesian
def invitation_letter(meeting) -> bytes:
    invitees = [row for row in attendance_sheet(meeting) if not row.is_walk_in]
    return render_pdf("meetings/pdf_invitation.html", {
        "meeting": meeting,
        "when": when(meeting),
        "agenda": list(meeting.agenda_items.all()),
        "invitees": invitees,
        # Address a handful of people by name; a longer list goes in the attachment.
        "named_recipients": invitees if len(invitees) <= 3 else None,
        "letter_number": letter_number(meeting),
        "letter_date": formats.date_format(timezone.localdate(), "j F Y"),
    })


@in_indonesian
def attendance_sheet_pdf(meeting) -> bytes:
    rows = attendance_sheet(meeting)
    return render_pdf("meetings/pdf_attendance.html", {
        "meeting": meeting,
        "when": when(meeting),
        "rows": rows,
        "blank_numbers": range(len(rows) + 1, len(rows) + 1 + BLANK_ROWS),
        "delegated": Invitation.Rsvp.DELEGATED,
    })


@in_indonesian
def minutes_pdf(meeting, minutes) -> bytes:
    rows = attendance_sheet(meeting)
    return render_pdf("meetings/pdf_minutes.html", {
        "meeting": meeting,
        "when": when(meeting),
        "agenda": list(meeting.agenda_items.all()),
        "minutes": minutes,
        "decisions": decision_lines(minutes),
        "follow_ups": follow_ups_of_meeting(meeting),
        "summary": attendance_summary(meeting),
        "present": [row for row in rows if row.attendance == Invitation.Attendance.PRESENT],
        "delegated": Invitation.Rsvp.DELEGATED,
        "written_on": formats.date_format(timezone.localdate(), "j F Y"),
    })

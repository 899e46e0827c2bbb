"""The Rekap Kegiatan LPM as PDF, for a cycle or a year.

Rendered like the meetings' documents (meetings.pdf: WeasyPrint with a fetcher
that never leaves the portal's static folder, official paper in Indonesian
whatever the UI language).
"""

from django.utils import formats, timezone
from django.utils.text import slugify

from meetings.pdf import in_indonesian, render_pdf

from . import selectors


@in_indonesian
def recap_pdf(scope, *, cycle=None, year=None, kecamatan_names=(), now=None) -> bytes:
    context = selectors.recap(scope, cycle=cycle, year=year, now=now)
    return render_pdf("reports/pdf_recap.html", {
        **context,
        "kecamatan_names": list(kecamatan_names),
        "printed_on": formats.date_format(timezone.localdate(), "j F Y"),
    })


def recap_filename(*, cycle=None, year=None) -> str:
    """"rekap-kegiatan-lpm-usulan-program-2027.pdf" or "rekap-kegiatan-lpm-2026.pdf"."""
    suffix = slugify(cycle.name)[:60] if cycle is not None else str(year)
    return f"rekap-kegiatan-lpm-{suffix or 'siklus'}.pdf"

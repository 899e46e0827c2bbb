"""Bar charts drawn on the server as SVG: no chart library, no CDN, nothing run in the browser.

The geometry is computed here and written out by ``reports/_bar_chart.html``.
The SVG has no fixed width: bar lengths and text positions are percentages of
whatever width the page gives it, while text keeps its size in pixels, so a
chart stays legible on a 360 px phone. Labels sit on their own line above their
bars for the same reason. Colours come from classes in static/css/reports.css
(the strict CSP forbids style attributes). Every chart carries a text
alternative (its <title> and <desc>), and the page shows the same numbers in a
table next to it.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from portal.lib.formats import rupiah

LABEL_LINE = 18  # px from the top of a row to the baseline of its label
BAR_HEIGHT = 12
BAR_GAP = 3
ROW_GAP = 10
# Bars use at most this share of the width; the rest holds the value written after the bar.
PLOT_WIDTH = 70.0
MAX_LABEL = 38


def _number(value: float) -> str:
    """A coordinate for an SVG attribute: a dot for decimals whatever the UI language."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def short_label(text: str, limit: int = MAX_LABEL) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def rupiah_short(amount) -> str:
    """Compact Rupiah for a chart ("Rp12,5 jt", "Rp1,25 M"); tables show the exact amount."""
    amount = int(amount or 0)
    for size, unit in ((1_000_000_000_000, "T"), (1_000_000_000, "M"), (1_000_000, "jt"), (1_000, "rb")):
        if amount >= size:
            value = f"{amount / size:.2f}".rstrip("0").rstrip(".").replace(".", ",")
            return f"Rp{value} {unit}"
    return rupiah(amount)


def percent_text(value) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return f"{text.replace('.', ',')}%"


@dataclass(frozen=True)
class Series:
    name: str
    css: str  # "series-1", "series-2": colours in reports.css


@dataclass
class Bar:
    series: Series
    value: float
    text: str
    width: str  # percent of the chart's width
    y: int
    text_x: str
    text_y: int


@dataclass
class Row:
    label: str
    full_label: str
    label_y: int
    bars: list = field(default_factory=list)


@dataclass
class BarChart:
    id: str
    title: str
    description: str
    series: list
    rows: list
    height: int
    bar_height: int = BAR_HEIGHT
    reference: str | None = None  # x of a reference line (e.g. 50 %), percent of the width
    reference_label: str = ""

    @property
    def has_data(self):
        return any(bar.value for row in self.rows for bar in row.bars)


def bar_chart(*, id, title, series, rows, formatter=str, max_value=None, reference=None, reference_label=""):
    """A horizontal bar chart.

    ``rows`` is [(label, [value per series])]; ``max_value`` fixes the scale
    (100 for percentages), otherwise the largest value fills the plot.
    """
    values = [v or 0 for _label, vs in rows for v in vs]
    top = max_value if max_value is not None else max(values, default=0)
    scale = PLOT_WIDTH / top if top else 0
    y = 0
    chart_rows = []
    summary = []
    for label, row_values in rows:
        row = Row(label=short_label(label), full_label=str(label), label_y=y + LABEL_LINE - 4)
        y += LABEL_LINE
        texts = []
        for s, value in zip(series, row_values):
            value = value or 0
            width = value * scale
            text = formatter(value)
            row.bars.append(Bar(
                series=s, value=value, text=text, width=_number(width), y=y,
                text_x=_number(width + 1), text_y=y + BAR_HEIGHT - 1,
            ))
            texts.append(f"{s.name} {text}" if len(series) > 1 else text)
            y += BAR_HEIGHT + BAR_GAP
        y += ROW_GAP
        chart_rows.append(row)
        summary.append(f"{label}: {', '.join(texts)}")
    description = "; ".join(summary) + "." if summary else _("Belum ada data.")
    return BarChart(
        id=id, title=title, description=description, series=list(series), rows=chart_rows, height=max(y, 1),
        reference=_number(reference * scale) if reference is not None and scale else None,
        reference_label=reference_label,
    )


# --- the dashboard's charts ---------------------------------------------------------------------------


def budget_chart(rows, *, id, title):
    series = [Series(_("Diusulkan"), "series-1"), Series(_("Disetujui"), "series-2")]
    return bar_chart(
        id=id, title=title, series=series,
        rows=[(row.label, [row.requested, row.approved]) for row in rows],
        formatter=rupiah_short,
    )


def women_chart(women, *, id="chart-women"):
    return bar_chart(
        id=id, title=_("Persentase perempuan di antara pengurus LPM kelurahan"),
        series=[Series(_("Perempuan"), "series-2")],
        rows=[(row.label, [row.share]) for row in women.by_kecamatan] + [(women.total.label, [women.total.share])],
        formatter=percent_text, max_value=100, reference=50, reference_label=_("garis 50%"),
    )


def attendance_chart(rows, *, id="chart-attendance"):
    return bar_chart(
        id=id, title=_("Tingkat kehadiran per lembaga, 12 bulan terakhir"),
        series=[Series(_("Hadir"), "series-1")],
        rows=[(row.board_name, [row.rate]) for row in rows],
        formatter=percent_text, max_value=100, reference=50, reference_label=_("garis 50%"),
    )

"""The server-drawn SVG charts: geometry in percentages, values as text, a text alternative."""

from reports import charts


def test_bars_are_scaled_to_the_largest_value_and_carry_their_values_as_text():
    chart = charts.bar_chart(
        id="c", title="Anggaran",
        series=[charts.Series("Diusulkan", "series-1"), charts.Series("Disetujui", "series-2")],
        rows=[("Kecamatan A", [4_000_000, 3_500_000]), ("Kecamatan B", [1_500_000, 0])],
        formatter=charts.rupiah_short,
    )
    a, b = chart.rows
    assert [bar.width for bar in a.bars] == ["70", "61.25"]
    assert [bar.width for bar in b.bars] == ["26.25", "0"]
    assert [bar.text for bar in a.bars] == ["Rp4 jt", "Rp3,5 jt"]
    assert chart.description == (
        "Kecamatan A: Diusulkan Rp4 jt, Disetujui Rp3,5 jt; Kecamatan B: Diusulkan Rp1,5 jt, Disetujui Rp0."
    )
    # Rows stack downwards; the drawing is as tall as its rows.
    assert a.bars[1].y > a.bars[0].y and b.label_y > a.bars[1].y and chart.height > b.bars[1].y


def test_percent_charts_use_a_fixed_scale_and_a_reference_line():
    chart = charts.bar_chart(id="w", title="Perempuan", series=[charts.Series("Perempuan", "series-2")],
                             rows=[("A", [60.0]), ("B", [25.0])], formatter=charts.percent_text, max_value=100,
                             reference=50)
    assert [row.bars[0].width for row in chart.rows] == ["42", "17.5"]
    assert chart.reference == "35"
    assert [row.bars[0].text for row in chart.rows] == ["60%", "25%"]


def test_an_empty_chart_says_so_and_long_labels_are_shortened():
    assert charts.bar_chart(id="e", title="x", series=[], rows=[]).description == "Belum ada data."
    chart = charts.bar_chart(id="l", title="x", series=[charts.Series("n", "series-1")],
                             rows=[("LPM Kelurahan Gunung Samarinda Baru Sekali Panjang Namanya", [1])])
    assert chart.rows[0].label.endswith("…") and len(chart.rows[0].label) <= charts.MAX_LABEL
    assert chart.rows[0].full_label.endswith("Namanya")


def test_compact_rupiah():
    assert charts.rupiah_short(0) == "Rp0"
    assert charts.rupiah_short(750_000) == "Rp750 rb"
    assert charts.rupiah_short(12_500_000) == "Rp12,5 jt"
    assert charts.rupiah_short(1_250_000_000) == "Rp1,25 M"
    assert charts.percent_text(33.3) == "33,3%" and charts.percent_text(50) == "50%"

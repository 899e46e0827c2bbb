"""The staff review queue (programs:queue) and its CSV/XLSX export (programs:queue_export)."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from organizations.models import Region
from programs.models import Category, Proposal, ProposalEvent, Recommendation
from tests.factories import CycleFactory, ProposalFactory

S = Proposal.Status
QUEUE = reverse("programs:queue")


def export_url(fmt):
    return reverse("programs:queue_export", args=[fmt])


def shown(response):
    return [proposal.title for proposal in response.context["page_obj"]]


def make(board, cycle, title, status=S.SUBMITTED, *, days=0, lines=None, **fields):
    """A proposal of ``board`` in ``status`` since ``days`` ago."""
    changed = timezone.now() - datetime.timedelta(days=days, hours=1)
    # Decision fields after the budget lines: the approved budget may not exceed the total requested.
    decision = {name: fields.pop(name) for name in ("approved_budget", "decision_published_at") if name in fields}
    proposal = ProposalFactory(board=board, cycle=cycle, title=title, lines=lines, **fields)
    Proposal.objects.filter(pk=proposal.pk).update(
        status=status, status_changed_at=changed,
        submitted_at=changed if status != S.DRAFT else None, **decision,
    )
    proposal.refresh_from_db()
    return proposal


@pytest.fixture
def categories(db):
    return list(Category.objects.order_by("pk")[:2])


@pytest.fixture
def spread(world, cycle, categories):
    """Proposals across boards, kecamatan, fields, kinds and states."""
    other_cycle = CycleFactory(name="Usulan Program 2028", year=2028)
    first, second = categories
    return {
        "posyandu": make(world["board_a"], cycle, "Pelatihan kader posyandu", days=3, category=first),
        "drainase": make(world["board_a2"], cycle, "Perbaikan drainase RT 04", S.UNDER_REVIEW, days=20,
                         category=second, is_physical=True, lines=[("Semen", 40, "sak", 75_000)]),
        "lansia": make(world["board_b"], cycle, "Senam lansia", days=1, category=first, priority=2),
        "draf": make(world["board_a"], cycle, "Draf bank sampah", S.DRAFT, category=second),
        "disetujui": make(world["board_b"], other_cycle, "Taman baca anak", S.APPROVED, days=5, category=first,
                          approved_budget=1_000_000, decision_published_at=timezone.now()),
    }


def titles(spread, *keys):
    return sorted(spread[key].title for key in keys)


# --- who may see it ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["officer_a", "member_a", "coordinator_a"])
def test_only_staff_see_the_queue(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(QUEUE).status_code == 403
    assert client.get(export_url("csv")).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for target in (QUEUE, export_url("csv")):
        response = client.get(target)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


# --- filters, search, sort, pages -------------------------------------------------------------------


def test_by_default_it_shows_what_waits_for_staff(client, staff, spread):
    client.force_login(staff)
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert sorted(shown(response)) == titles(spread, "posyandu", "drainase", "lansia")


def test_all_states_on_request_drafts_included(client, staff, spread):
    client.force_login(staff)
    response = client.get(QUEUE, {"status": "all"})
    assert sorted(shown(response)) == titles(spread, *spread)


def test_it_filters_by_one_state(client, staff, spread):
    client.force_login(staff)
    assert shown(client.get(QUEUE, {"status": "approved"})) == [spread["disetujui"].title]
    assert shown(client.get(QUEUE, {"status": "under_review"})) == [spread["drainase"].title]


@pytest.mark.parametrize("param, value, expected", [
    ("cycle", lambda s, w: s["disetujui"].cycle_id, ("disetujui",)),
    ("kecamatan", lambda s, w: w["kec_a"].pk, ("posyandu", "drainase", "draf")),
    ("kecamatan", lambda s, w: w["kec_b"].pk, ("lansia", "disetujui")),
    ("kelurahan", lambda s, w: w["board_a2"].region_id, ("drainase",)),
    ("category", lambda s, w: s["drainase"].category_id, ("drainase", "draf")),
    ("physical", lambda s, w: "1", ("drainase",)),
    ("physical", lambda s, w: "0", ("posyandu", "lansia", "draf", "disetujui")),
])
def test_each_filter_narrows_the_list(client, staff, spread, world, param, value, expected):
    client.force_login(staff)
    response = client.get(QUEUE, {"status": "all", param: value(spread, world)})
    assert response.status_code == 200
    assert sorted(shown(response)) == titles(spread, *expected)


def test_filters_combine_with_the_default_state(client, staff, spread, world):
    client.force_login(staff)
    response = client.get(QUEUE, {"kecamatan": world["kec_b"].pk})
    assert shown(response) == [spread["lansia"].title]


def test_a_bad_parameter_is_shown_and_ignored(client, staff, spread):
    client.force_login(staff)
    response = client.get(QUEUE, {"cycle": "999999", "physical": "x"})
    assert response.status_code == 200
    assert "cycle" in response.context["form"].errors and "physical" in response.context["form"].errors
    assert sorted(shown(response)) == titles(spread, "posyandu", "drainase", "lansia")


@pytest.mark.parametrize("query, expected", [
    ("drainase", ("drainase",)),
    ("POSYANDU", ("posyandu",)),
    ("LPM Kelurahan B1", ("lansia",)),
    ("Kelurahan A2", ("drainase",)),
    ("tidak ada", ()),
])
def test_it_searches_titles_and_board_names(client, staff, spread, query, expected):
    client.force_login(staff)
    assert sorted(shown(client.get(QUEUE, {"q": query}))) == titles(spread, *expected)


@pytest.mark.parametrize("sort, expected", [
    ("", ["drainase", "posyandu", "lansia"]),  # longest waiting first
    ("age", ["drainase", "posyandu", "lansia"]),
    ("-age", ["lansia", "posyandu", "drainase"]),
    ("submitted", ["drainase", "posyandu", "lansia"]),
    ("-submitted", ["lansia", "posyandu", "drainase"]),
    ("-requested", ["drainase", "posyandu", "lansia"]),
    ("priority", ["posyandu", "drainase", "lansia"]),
    ("board", ["posyandu", "drainase", "lansia"]),
])
def test_it_sorts(client, staff, spread, sort, expected):
    # drainase asks Rp3.000.000, the others Rp1.250.000; lansia has priority 2; boards A1, A2, B1.
    client.force_login(staff)
    assert shown(client.get(QUEUE, {"sort": sort})) == [spread[key].title for key in expected]


def test_requested_ascending_puts_the_small_ones_first(client, staff, spread):
    client.force_login(staff)
    assert shown(client.get(QUEUE, {"sort": "requested"}))[-1] == spread["drainase"].title


def test_it_pages_by_25_and_keeps_the_filters(client, staff, world, cycle):
    for index in range(30):
        make(world["board_a"], cycle, f"Usulan {index:02d}", days=index)
    client.force_login(staff)
    first = client.get(QUEUE, {"kecamatan": world["kec_a"].pk})
    assert len(first.context["page_obj"]) == 25
    assert first.context["page_obj"].paginator.num_pages == 2
    assert f"?kecamatan={world['kec_a'].pk}&amp;page=2" in first.content.decode()
    second = client.get(QUEUE, {"kecamatan": world["kec_a"].pk, "page": 2})
    assert len(second.context["page_obj"]) == 5
    assert set(shown(first)).isdisjoint(shown(second))
    assert second.context["totals"]["count"] == 30


def test_each_row_shows_its_facts_and_age_in_state(client, staff, spread, coordinator_a):
    Recommendation.objects.create(proposal=spread["drainase"], recommends=True, by=coordinator_a)
    client.force_login(staff)
    html = client.get(QUEUE).content.decode()
    assert "3 hari" in html  # posyandu, submitted 3 days ago
    assert "20 hari" in html
    assert "LPM Kelurahan A2" in html and "Kelurahan A2, Kecamatan A" in html
    assert "Rp3.000.000" in html and "Rp1.250.000" in html
    assert "Direkomendasikan" in html
    assert reverse("programs:detail", args=[spread["drainase"].pk]) in html


def test_a_proposal_waiting_more_than_14_days_is_highlighted(client, staff, spread):
    client.force_login(staff)
    response = client.get(QUEUE)
    rows = {proposal.title: proposal for proposal in response.context["page_obj"]}
    assert rows[spread["drainase"].title].is_stale
    assert not rows[spread["posyandu"].title].is_stale
    assert response.content.decode().count('class="stale"') == 1
    assert "menunggu lama" in response.content.decode()


def test_it_totals_the_filtered_set(client, staff, spread):
    client.force_login(staff)
    totals = client.get(QUEUE).context["totals"]
    assert totals == {"count": 3, "requested": 1_250_000 + 3_000_000 + 1_250_000, "approved": 0}
    totals = client.get(QUEUE, {"status": "approved"}).context["totals"]
    assert totals == {"count": 1, "requested": 1_250_000, "approved": 1_000_000}


def test_a_title_with_markup_is_shown_as_text(client, staff, world, cycle):
    make(world["board_a"], cycle, "<script>alert(1)</script>")
    client.force_login(staff)
    html = client.get(QUEUE).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- query count ----------------------------------------------------------------------------------


def _grow(size, world, cycle, coordinator):
    boards = [world["board_a"], world["board_a2"], world["board_b"]]
    for index in range(size):
        proposal = make(boards[index % 3], cycle, f"Usulan {index}", S.UNDER_REVIEW if index % 2 else S.SUBMITTED,
                        days=index, lines=[("Konsumsi", 10, "kotak", 25_000), ("Spanduk", 1, "buah", 150_000)])
        for note in ("satu", "dua"):
            ProposalEvent.objects.create(proposal=proposal, kind=ProposalEvent.Kind.COMMENT, note=note)
        if index % 3 == 0:
            Recommendation.objects.create(proposal=proposal, recommends=bool(index % 2), by=coordinator)


def _count(client, params):
    with CaptureQueriesContext(connection) as context:
        response = client.get(QUEUE, params)
    assert response.status_code == 200
    return len(context.captured_queries), len(response.context["page_obj"])


@pytest.mark.parametrize("params, rows", [
    ({}, (3, 25)),
    ({"status": "all", "sort": "board", "q": "Usulan"}, (3, 25)),
    ({"kecamatan": "kec_a", "sort": "-requested"}, (2, 20)),  # two of the three boards
])
def test_the_queue_query_count_does_not_grow_with_proposals(client, staff, world, cycle, coordinator_a, params,
                                                            rows):
    """Prevents N+1s on board, kelurahan, kecamatan, field, cycle and forum recommendation per row."""
    params = {key: world[value].pk if value in world else value for key, value in params.items()}
    client.force_login(staff)
    client.get(QUEUE)  # per-user facts cached by the first request of a session do not count
    _grow(3, world, cycle, coordinator_a)
    small, small_rows = _count(client, params)
    _grow(27, world, cycle, coordinator_a)
    large, large_rows = _count(client, params)
    assert (small_rows, large_rows) == rows
    assert small == large


def test_the_totals_give_the_page_count_and_rows_come_by_id(client, staff, world, cycle, coordinator_a):
    """One COUNT for the totals and the pages; the sort reads ids, then the page's rows are fetched."""
    _grow(30, world, cycle, coordinator_a)
    client.force_login(staff)
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as context:
        response = client.get(QUEUE, {"page": 2})
    proposal_queries = [q["sql"] for q in context.captured_queries if 'FROM "programs_proposal"' in q["sql"]]
    assert len(proposal_queries) == 3  # totals, the page's ids, its rows
    assert sum("COUNT(" in sql for sql in proposal_queries) == 1
    assert response.context["page_obj"].paginator.num_pages == 2
    assert len(response.context["page_obj"]) == 5


# --- the region selects -----------------------------------------------------------------------------


def _select(html, name):
    start = html.index(f'name="{name}"')
    return html[html.rindex("<select", 0, start):html.index("</select>", start)]


def test_kelurahan_are_offered_once_a_kecamatan_is_chosen(client, staff, world):
    client.force_login(staff)
    html = client.get(QUEUE).content.decode()
    kelurahan = _select(html, "kelurahan")
    assert "Kelurahan A1" not in kelurahan and kelurahan.count("<option") == 1
    assert "Pilih kecamatan terlebih dahulu untuk memilih kelurahan." in html
    assert 'aria-describedby="id_kelurahan_helptext"' in kelurahan
    assert "Kecamatan A" in _select(html, "kecamatan") and "Kecamatan B" in _select(html, "kecamatan")

    html = client.get(QUEUE, {"kecamatan": world["kec_a"].pk}).content.decode()
    kelurahan = _select(html, "kelurahan")
    assert "Kelurahan A1" in kelurahan and "Kelurahan A2" in kelurahan and "Kelurahan B1" not in kelurahan
    assert "Pilih kecamatan terlebih dahulu" not in html
    assert f'<option value="{world["kec_a"].pk}" selected>Kecamatan A</option>' in _select(html, "kecamatan")


def test_a_kelurahan_alone_still_filters_and_shows_as_chosen(client, staff, world, spread):
    client.force_login(staff)
    response = client.get(QUEUE, {"status": "all", "kelurahan": world["board_a2"].region_id})
    assert shown(response) == [spread["drainase"].title]
    kelurahan = _select(response.content.decode(), "kelurahan")
    assert f'<option value="{world["board_a2"].region_id}" selected>Kelurahan A2</option>' in kelurahan
    assert "Kelurahan A1" in kelurahan and "Kelurahan B1" not in kelurahan  # its kecamatan's


def test_a_kelurahan_of_another_kecamatan_is_still_shown_as_chosen(client, staff, world, spread):
    client.force_login(staff)
    kel_b = world["board_b"].region_id
    response = client.get(QUEUE, {"status": "all", "kecamatan": world["kec_a"].pk, "kelurahan": kel_b})
    assert shown(response) == []
    assert f'<option value="{kel_b}" selected>Kelurahan B1</option>' in _select(response.content.decode(), "kelurahan")


def test_choosing_a_kecamatan_refreshes_the_kelurahan_field_with_htmx(client, staff, world):
    client.force_login(staff)
    html = client.get(QUEUE).content.decode()
    kecamatan = _select(html, "kecamatan")
    assert f'hx-get="{QUEUE}"' in kecamatan and 'hx-target="#kelurahan-field"' in kecamatan
    assert '<div class="field" id="kelurahan-field">' in html
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in html

    response = client.get(QUEUE, {"kecamatan": world["kec_b"].pk},
                          HTTP_HX_REQUEST="true", HTTP_HX_TARGET="kelurahan-field")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith('<div class="field" id="kelurahan-field">') and "<html" not in body
    assert "Kelurahan B1" in body and "Kelurahan A1" not in body
    assert "HX-Target" in response["Vary"]
    body = client.get(QUEUE, {"kecamatan": ""}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="kelurahan-field")
    assert "Pilih kecamatan terlebih dahulu" in body.content.decode()


def test_the_kelurahan_field_refresh_is_staff_only(client, officer_a, world):
    client.force_login(officer_a)
    response = client.get(QUEUE, {"kecamatan": world["kec_a"].pk},
                          HTTP_HX_REQUEST="true", HTTP_HX_TARGET="kelurahan-field")
    assert response.status_code == 403


def test_kecamatan_are_grouped_by_kota_when_there_are_several(client, staff, world):
    client.force_login(staff)
    assert "<optgroup" not in _select(client.get(QUEUE).content.decode(), "kecamatan")
    other = Region.objects.create(code="99.02", name="Kota Lain", level=Region.Level.KOTA)
    Region.objects.create(code="99.02.01", name="Kecamatan <Z>", level=Region.Level.KECAMATAN, parent=other)
    kecamatan = _select(client.get(QUEUE).content.decode(), "kecamatan")
    assert '<optgroup label="Kota Lain"><option value=' in kecamatan
    assert '<optgroup label="Kota Uji">' in kecamatan
    assert "Kecamatan &lt;Z&gt;" in kecamatan and "<Z>" not in kecamatan


# --- exports --------------------------------------------------------------------------------------


def _csv_rows(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_csv_export_has_the_filtered_rows_and_totals(client, staff, spread, world):
    client.force_login(staff)
    response = client.get(export_url("csv"), {"kecamatan": world["kec_a"].pk, "sort": "board"})
    assert response.status_code == 200
    assert 'attachment; filename="antrean-usulan-' in response["Content-Disposition"]
    header, *rows, totals = _csv_rows(response)
    assert header[0] == "No." and header[-2:] == ["Anggaran diusulkan (Rp)", "Anggaran disetujui (Rp)"]
    assert [row[5] for row in rows] == [spread["posyandu"].title, spread["drainase"].title]
    posyandu, drainase = rows
    assert posyandu[1:5] == ["Usulan Program 2027", "Kecamatan A", "Kelurahan A1", "LPM Kelurahan A1"]
    assert posyandu[9] == "Diajukan" and posyandu[11] == "3"
    assert drainase[7] == "Fisik" and drainase[-2:] == ["3000000", ""]
    assert totals[1] == "Jumlah (2 usulan)"
    assert totals[-2:] == ["4250000", "0"]


def test_the_csv_export_includes_approved_amounts(client, staff, spread):
    client.force_login(staff)
    header, row, totals = _csv_rows(client.get(export_url("csv"), {"status": "approved"}))
    assert row[-2:] == ["1250000", "1000000"]
    assert totals[-2:] == ["1250000", "1000000"]


def test_the_xlsx_export_has_the_filtered_rows_and_totals(client, staff, spread):
    client.force_login(staff)
    response = client.get(export_url("xlsx"), {"status": "all", "sort": "-requested"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows, totals = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header[-2:] == ["Anggaran diusulkan (Rp)", "Anggaran disetujui (Rp)"]
    assert len(rows) == 5
    assert rows[0][5] == spread["drainase"].title and rows[0][-2:] == [3_000_000, None]
    assert isinstance(rows[0][10], datetime.datetime)
    assert totals[1] == "Jumlah (5 usulan)"
    assert totals[-2:] == [3_000_000 + 4 * 1_250_000, 1_000_000]


def test_exports_keep_formula_like_text_as_text(client, staff, world, cycle):
    make(world["board_a"], cycle, '=HYPERLINK("http://contoh.example","klik")')
    client.force_login(staff)
    _header, row, _totals = _csv_rows(client.get(export_url("csv")))
    assert row[5] == '\'=HYPERLINK("http://contoh.example","klik")'
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(export_url("xlsx")).content)).active
    cell = sheet.cell(row=2, column=6)
    assert cell.value == '=HYPERLINK("http://contoh.example","klik")'
    assert cell.data_type == "s" and cell.quotePrefix


def test_an_unknown_export_format_is_404(client, staff):
    client.force_login(staff)
    assert client.get(export_url("pdf")).status_code == 404

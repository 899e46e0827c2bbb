"""The Rekap Kegiatan LPM PDF, read back as text, for a cycle and for a year."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs.models import Category, Evaluation
from tests.meetings.test_pdf import pdf_text

from .conftest import HADIR, TIDAK_HADIR

URL = reverse("reports:recap")


def pdf_of(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "private" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")
    return pdf_text(response.content)


def test_the_recap_of_a_cycle_holds_meetings_proposals_budgets_and_evaluations(
    client, staff, world, cycle, proposal, held_meeting
):
    a, b = world["board_a"], world["board_b"]
    held_meeting(3, {a: HADIR, b: TIDAK_HADIR}, title="Rakor Perencanaan")
    first, second = Category.objects.order_by("pk")[:2]
    proposal(a, "approved", title="Bank sampah", lines=[("Tong", 10, "buah", 150_000)], approved_budget=1_200_000,
             category=first)
    proposal(b, "submitted", title="Posyandu remaja", lines=[("Timbangan", 2, "unit", 400_000)], category=second)
    done = proposal(a, "evaluated", title="Taman baca", lines=[("Buku", 100, "buah", 50_000)], spent=4_800_000,
                    category=second)
    Evaluation.objects.create(proposal=done, targets_met=True, beneficiaries_reached=120, budget_realised=4_800_000,
                              score=4, notes="Ramai dikunjungi anak.")
    client.force_login(staff)
    response = client.get(URL, {"cycle": cycle.pk})
    assert "rekap-kegiatan-lpm-usulan-program-2027.pdf" in response["Content-Disposition"]
    text = pdf_of(response)
    assert "REKAP KEGIATAN LPM" in text and "Usulan Program 2027" in text
    assert "Rakor Perencanaan" in text
    assert "Hadir : 1 (50%)" in text
    # By state, with the budget requested and approved.
    assert "Disetujui 1 Rp1.500.000 Rp1.200.000" in text
    assert "Diajukan 1 Rp800.000 Rp0" in text
    assert "Dievaluasi 1 Rp5.000.000 Rp5.000.000" in text
    # By field and by kecamatan, with the total.
    assert f"{first.name} 1 Rp1.500.000 Rp1.200.000 Rp0" in text
    assert f"{second.name} 2 Rp5.800.000 Rp5.000.000 Rp4.800.000" in text
    assert "Kecamatan A 2 Rp6.500.000 Rp6.200.000 Rp4.800.000" in text
    assert "Kecamatan B 1 Rp800.000 Rp0 Rp0" in text
    assert "Jumlah 3 Rp7.300.000 Rp6.200.000 Rp4.800.000" in text
    # Completed programs and their evaluation.
    assert "Taman baca" in text and "Nilai 4/5" in text and "120 penerima manfaat" in text
    assert "1 program selesai, 1 sudah dievaluasi." in text


def test_the_recap_of_a_year_takes_that_years_meetings_and_cycles(client, staff, world, cycle, proposal, held_meeting):
    held_meeting(2, {world["board_a"]: HADIR}, title="Rakor tahun ini")
    proposal(world["board_a"], "submitted", title="Usulan 2027")
    client.force_login(staff)
    this_year = timezone.localdate().year
    text = pdf_of(client.get(URL, {"year": this_year}))
    assert f"Tahun {this_year}" in text and "Rakor tahun ini" in text
    assert "Tidak ada usulan pada periode ini." in text  # the cycle belongs to 2027
    text = pdf_of(client.get(URL, {"year": 2027}))
    assert "Rakor tahun ini" not in text and "Diajukan 1" in text


def test_a_coordinators_recap_covers_their_kecamatan(client, coordinator_a, world, cycle, proposal):
    proposal(world["board_a"], "submitted", title="Usulan A", lines=[("Tenda", 1, "unit", 1_000_000)])
    proposal(world["board_b"], "submitted", title="Usulan B", lines=[("Tenda", 1, "unit", 7_000_000)])
    client.force_login(coordinator_a)
    text = pdf_of(client.get(URL, {"cycle": cycle.pk}))
    assert "Kecamatan A" in text and "Rp1.000.000" in text
    assert "Kecamatan B" not in text and "Rp7.000.000" not in text


def test_the_form_asks_for_one_cycle_or_one_year(client, staff, cycle):
    client.force_login(staff)
    page = client.get(URL)
    body = page.content.decode()
    assert page.status_code == 200 and 'name="cycle"' in body and 'name="year"' in body
    for params in ({"cycle": "", "year": ""}, {"cycle": cycle.pk, "year": 2027}, {"year": "1800"}):
        response = client.get(URL, params)
        assert response.status_code == 400
        assert "errorlist" in response.content.decode()


def test_the_recap_prints_in_indonesian_whatever_the_ui_language(client, staff, world, cycle, held_meeting):
    held_meeting(1, {world["board_a"]: HADIR}, title="Rakor")
    client.force_login(staff)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    text = pdf_of(client.get(URL, {"cycle": cycle.pk}))
    day = timezone.localdate() - datetime.timedelta(days=1)
    assert "Rapat terlaksana" in text and str(day.year) in text
    assert "Usulan program menurut status" in text


def test_the_recap_query_count_does_not_grow_with_meetings_or_proposals(client, staff, world, cycle, proposal,
                                                                        held_meeting):
    """Prevents a query per meeting (attendance counts) or per completed program (board, field, evaluation)."""
    client.force_login(staff)
    client.get(URL)  # a first request caches the user's own facts (portal.lib.cache): both counted ones alike
    counts = []
    for extra in (1, 5):
        for n in range(extra):
            held_meeting(2 + n, {world["board_a"]: HADIR, world["board_b"]: TIDAK_HADIR})
            done = proposal(world["board_b"], "evaluated", spent=1_000_000)
            Evaluation.objects.create(proposal=done, targets_met=n % 2 == 0, beneficiaries_reached=10,
                                      budget_realised=1_000_000, score=3)
            proposal(world["board_a"], "completed")
        with CaptureQueriesContext(connection) as captured:
            pdf_of(client.get(URL, {"cycle": cycle.pk}))
        counts.append(len(captured))
    assert counts[0] == counts[1]

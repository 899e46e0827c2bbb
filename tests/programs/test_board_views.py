"""The board's side of proposals: list, draft, edit, submit, withdraw, progress, carry over, comments.

Personas: officer_a (Ketua of LPM A), member_a (Anggota of LPM A), officer_b (Ketua of LPM B, sees nothing
of A), coordinator_a (Forum LPM of A's kecamatan), staff.
"""

import datetime
import decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from programs import lifecycle
from programs.models import BudgetLine, Category, Proposal, ProposalEvent
from tests import factories
from tests.helpers import assert_no_inline_code

S = Proposal.Status


def detail_url(proposal):
    return reverse("programs:detail", args=[proposal.pk])


def proposal_post(cycle=None, *, lines=(("Konsumsi peserta", "50", "kotak", "25.000"),
                                         ("Sewa tenda", "2,5", "hari", "Rp 400.000")), **fields):
    """What the browser sends for a new proposal (or an edit, without ``cycle``)."""
    data = {
        "title": "Pelatihan kader posyandu",
        "category": Category.objects.order_by("pk")[0].pk,
        "is_physical": "0",
        "background": "Banyak kader belum pernah dilatih.",
        "goals": "Kader mampu menimbang balita.",
        "location_rt_rw": "RT 05/RW 02",
        "location": "Balai pertemuan kelurahan",
        "beneficiary_count": "40",
        "beneficiary_groups": ["perempuan", "anak"],
        "start_month": "2027-03",
        "end_month": "2027-05",
        "priority": "1",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
    }
    if cycle is not None:
        data["cycle"] = cycle.pk
    for index, (item, volume, unit, cost) in enumerate(lines):
        data.update({f"lines-{index}-item": item, f"lines-{index}-volume": volume, f"lines-{index}-unit": unit,
                     f"lines-{index}-unit_cost": cost})
    data.update(fields)
    return data


# --- list ---------------------------------------------------------------------------------------------


def test_it_lists_the_boards_proposals_of_the_newest_cycle(client, officer_a, world, cycle):
    older = factories.CycleFactory(name="Usulan Program 2026", opens_on=cycle.opens_on - datetime.timedelta(days=400),
                                   closes_on=cycle.opens_on - datetime.timedelta(days=300))
    factories.ProposalFactory(board=world["board_a"], cycle=cycle, title="Posyandu kini", priority=2)
    factories.ProposalFactory(board=world["board_a"], cycle=older, title="Posyandu dulu")
    factories.ProposalFactory(board=world["board_b"], cycle=cycle, title="Usulan lembaga lain")
    client.force_login(officer_a)
    response = client.get(reverse("programs:list"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Posyandu kini" in page
    assert "Rp1.250.000" in page
    assert "Draf" in page
    assert "Posyandu dulu" not in page
    assert "Usulan lembaga lain" not in page
    assert reverse("programs:create") in page
    assert_no_inline_code(page)

    response = client.get(reverse("programs:list"), {"cycle": older.pk})
    assert "Posyandu dulu" in response.content.decode()
    assert "Posyandu kini" not in response.content.decode()


def test_the_coordinator_sees_the_kecamatans_submitted_proposals_not_drafts(client, coordinator_a, world, cycle,
                                                                               place):
    draft = factories.ProposalFactory(board=world["board_a"], cycle=cycle, title="Masih draf")
    submitted = place(factories.ProposalFactory(board=world["board_a2"], cycle=cycle, title="Sudah diajukan"),
                      S.SUBMITTED)
    factories.ProposalFactory(board=world["board_b"], cycle=cycle, title="Kecamatan lain", status=S.SUBMITTED)
    client.force_login(coordinator_a)
    page = client.get(reverse("programs:list")).content.decode()
    assert submitted.title in page
    assert draft.title not in page
    assert "Kecamatan lain" not in page
    # A Forum does not draft proposals.
    assert reverse("programs:create") not in page


def test_staff_are_sent_to_the_review_queue(client, staff):
    client.force_login(staff)
    response = client.get(reverse("programs:list"))
    assert response.status_code == 302
    assert response.url == reverse("programs:queue")


@pytest.mark.parametrize("name", ["programs:list", "programs:create"])
def test_anonymous_visitors_are_sent_to_login(client, name, db):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_anonymous_visitors_are_sent_to_login_from_a_proposal(client, draft_a):
    for url in (detail_url(draft_a), reverse("programs:edit", args=[draft_a.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


# --- create -------------------------------------------------------------------------------------------


def test_it_creates_a_draft_with_totals_computed_on_the_server(client, officer_a, board_a, cycle):
    client.force_login(officer_a)
    # A total or subtotal sent by the browser is ignored.
    data = proposal_post(cycle, total="1", **{"lines-0-subtotal": "5", "total_requested": "7"})
    response = client.post(reverse("programs:create"), data)
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response.url == detail_url(proposal)
    assert proposal.board == board_a
    assert proposal.cycle == cycle
    assert proposal.status == S.DRAFT
    assert proposal.created_by == officer_a
    assert proposal.beneficiary_groups == ["perempuan", "anak"]
    assert proposal.start_month == datetime.date(2027, 3, 1)
    assert proposal.end_month == datetime.date(2027, 5, 1)
    lines = list(proposal.budget_lines.order_by("position"))
    assert [(line.item, line.volume, line.unit_cost, line.subtotal) for line in lines] == [
        ("Konsumsi peserta", 50, 25_000, 1_250_000),
        ("Sewa tenda", decimal.Decimal("2.5"), 400_000, 1_000_000),
    ]
    assert proposal.total_requested == 2_250_000
    page = client.get(response.url).content.decode()
    assert "Rp2.250.000" in page
    assert "Rp1.000.000" in page
    assert "2,5" in page


def test_the_form_page_renders_for_a_pengurus(client, member_a, cycle):
    client.force_login(member_a)
    response = client.get(reverse("programs:create"), {"cycle": cycle.pk})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'type="month"' in page
    assert 'name="lines-TOTAL_FORMS"' in page
    assert 'name="add_line"' in page
    assert_no_inline_code(page)


def test_adding_a_row_without_javascript_keeps_what_was_typed_and_saves_nothing(client, officer_a, cycle):
    client.force_login(officer_a)
    data = proposal_post(cycle, lines=(("Konsumsi peserta", "50", "kotak", "25.000"),), add_line="1",
                         title="Judul yang diketik")
    response = client.post(reverse("programs:create"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert not Proposal.objects.exists()
    assert 'name="lines-TOTAL_FORMS" value="2"' in page
    assert 'name="lines-1-item"' in page
    assert 'value="Judul yang diketik"' in page
    # The subtotal and total as the server computes them.
    assert "Rp1.250.000" in page
    assert "Belum ada yang disimpan" not in page


def test_a_proposal_needs_at_least_one_budget_line(client, officer_a, cycle):
    client.force_login(officer_a)
    response = client.post(reverse("programs:create"), proposal_post(cycle, lines=(("", "", "", ""),)))
    assert response.status_code == 400
    assert "Isi paling sedikit satu rincian anggaran." in response.content.decode()
    assert not Proposal.objects.exists()


def test_an_officer_of_several_boards_chooses_the_board(client, officer_a, world, cycle):
    person = officer_a.person
    factories.MembershipFactory(person=person, board=world["board_a2"], position="sekretaris")
    client.force_login(officer_a)
    page = client.get(reverse("programs:create")).content.decode()
    assert 'name="board"' in page
    response = client.post(reverse("programs:create"), proposal_post(cycle, board=world["board_a2"].pk))
    assert response.status_code == 302
    assert Proposal.objects.get().board == world["board_a2"]


def test_an_officer_cannot_draft_for_another_board_by_editing_the_form(client, officer_a, world, cycle):
    client.force_login(officer_a)
    client.post(reverse("programs:create"), proposal_post(cycle, board=world["board_b"].pk))
    # A single board: the field is not offered and the posted value is ignored.
    assert Proposal.objects.get().board == world["board_a"]


def test_a_closed_cycle_cannot_be_chosen(client, officer_a, cycle):
    closed = factories.CycleFactory(opens_on=timezone.localdate() - datetime.timedelta(days=60),
                                    closes_on=timezone.localdate() - datetime.timedelta(days=30))
    client.force_login(officer_a)
    response = client.post(reverse("programs:create"), proposal_post(closed))
    assert response.status_code == 400
    assert "Pilih siklus yang masih menerima usulan." in response.content.decode()
    assert not Proposal.objects.exists()


def test_without_a_cycle_the_page_says_so(client, officer_a, db):
    client.force_login(officer_a)
    response = client.get(reverse("programs:create"))
    assert response.status_code == 200
    assert "Belum ada siklus usulan yang menerima usulan" in response.content.decode()


@pytest.mark.parametrize("persona", ["staff", "coordinator_a"])
def test_only_pengurus_of_a_kelurahan_board_may_draft(client, persona, cycle, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("programs:create")).status_code == 403
    assert client.post(reverse("programs:create"), proposal_post(cycle)).status_code == 403
    assert not Proposal.objects.exists()


def test_errors_are_shown_next_to_the_fields_and_nothing_is_saved(client, officer_a, cycle):
    client.force_login(officer_a)
    data = proposal_post(cycle, title="  ", start_month="2027-05", end_month="2027-03", beneficiary_count="abc",
                         **{"lines-1-unit": ""})
    response = client.post(reverse("programs:create"), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Judul kegiatan wajib diisi." in page
    assert "Bulan selesai tidak boleh sebelum bulan mulai." in page
    assert "Tulis jumlah orang dengan angka bulat" in page
    assert "Isi satuannya." in page
    assert not Proposal.objects.exists()
    assert not BudgetLine.objects.exists()


def test_a_script_tag_in_the_title_is_shown_as_text(client, officer_a, cycle):
    client.force_login(officer_a)
    client.post(reverse("programs:create"), proposal_post(cycle, title="<script>alert(1)</script> Posyandu"))
    proposal = Proposal.objects.get()
    for url in (detail_url(proposal), reverse("programs:list"), reverse("programs:edit", args=[proposal.pk])):
        page = client.get(url).content.decode()
        assert "&lt;script&gt;" in page
        assert "<script>alert" not in page


# --- edit ---------------------------------------------------------------------------------------------


def test_a_pengurus_edits_the_draft_and_its_budget(client, member_a, draft_a):
    client.force_login(member_a)
    page = client.get(reverse("programs:edit", args=[draft_a.pk])).content.decode()
    assert 'value="Konsumsi peserta"' in page
    assert 'value="1.250.000"' not in page  # the unit cost, as typed: 25.000
    assert 'value="25.000"' in page
    data = proposal_post(title="Judul baru", lines=(("Konsumsi peserta", "60", "kotak", "25.000"),
                                                    ("Spanduk", "1", "buah", "150.000")))
    response = client.post(reverse("programs:edit", args=[draft_a.pk]), data)
    assert response.status_code == 302
    draft_a.refresh_from_db()
    assert draft_a.title == "Judul baru"
    assert draft_a.total_requested == 1_650_000
    assert draft_a.budget_lines.count() == 2


def test_a_budget_line_is_removed_with_its_delete_box(client, officer_a, world, cycle):
    proposal = factories.ProposalFactory(board=world["board_a"], cycle=cycle,
                                         lines=[("Konsumsi", 10, "kotak", 20_000), ("Spanduk", 1, "buah", 100_000)])
    client.force_login(officer_a)
    data = proposal_post(lines=(("Konsumsi", "10", "kotak", "20.000"), ("Spanduk", "1", "buah", "100.000")),
                         **{"lines-INITIAL_FORMS": "2", "lines-1-DELETE": "on"})
    response = client.post(reverse("programs:edit", args=[proposal.pk]), data)
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.total_requested == 200_000
    assert list(proposal.budget_lines.values_list("item", flat=True)) == ["Konsumsi"]


def test_a_submitted_proposal_cannot_be_edited(client, officer_a, draft_a, place):
    place(draft_a, S.SUBMITTED)
    client.force_login(officer_a)
    assert client.get(reverse("programs:edit", args=[draft_a.pk])).status_code == 403
    response = client.post(reverse("programs:edit", args=[draft_a.pk]), proposal_post(title="Diubah"))
    assert response.status_code == 403
    draft_a.refresh_from_db()
    assert draft_a.title != "Diubah"


def test_revision_requested_may_be_edited(client, officer_a, draft_a, place):
    place(draft_a, S.REVISION_REQUESTED)
    client.force_login(officer_a)
    response = client.post(reverse("programs:edit", args=[draft_a.pk]), proposal_post(title="Sudah direvisi"))
    assert response.status_code == 302
    draft_a.refresh_from_db()
    assert draft_a.title == "Sudah direvisi"


def test_another_board_gets_404_on_detail_and_edit(client, officer_b, draft_a):
    client.force_login(officer_b)
    assert client.get(detail_url(draft_a)).status_code == 404
    assert client.get(reverse("programs:edit", args=[draft_a.pk])).status_code == 404
    assert client.post(reverse("programs:edit", args=[draft_a.pk]), proposal_post(title="x")).status_code == 404
    assert client.post(reverse("programs:submit", args=[draft_a.pk])).status_code == 404


def test_the_coordinator_sees_a_submitted_proposal_but_not_a_draft(client, coordinator_a, draft_a, place):
    client.force_login(coordinator_a)
    assert client.get(detail_url(draft_a)).status_code == 404
    place(draft_a, S.SUBMITTED)
    response = client.get(detail_url(draft_a))
    assert response.status_code == 200
    assert draft_a.title in response.content.decode()
    assert client.get(reverse("programs:edit", args=[draft_a.pk])).status_code == 403


def test_staff_see_but_cannot_edit(client, staff, draft_a, place):
    place(draft_a, S.SUBMITTED)
    client.force_login(staff)
    assert client.get(detail_url(draft_a)).status_code == 200
    assert client.get(reverse("programs:edit", args=[draft_a.pk])).status_code == 403
    assert client.post(reverse("programs:edit", args=[draft_a.pk]), proposal_post(title="x")).status_code == 403


# --- submit, withdraw ------------------------------------------------------------------------------------


def test_the_ketua_submits(client, officer_a, draft_a):
    client.force_login(officer_a)
    page = client.get(detail_url(draft_a)).content.decode()
    assert reverse("programs:submit", args=[draft_a.pk]) in page
    response = client.post(reverse("programs:submit", args=[draft_a.pk]), follow=True)
    draft_a.refresh_from_db()
    assert draft_a.status == S.SUBMITTED
    assert "Usulan diajukan ke DP3AKB" in response.content.decode()


def test_a_member_drafts_but_may_not_submit(client, member_a, draft_a):
    client.force_login(member_a)
    page = client.get(detail_url(draft_a)).content.decode()
    assert reverse("programs:submit", args=[draft_a.pk]) not in page
    assert reverse("programs:edit", args=[draft_a.pk]) in page
    assert client.post(reverse("programs:submit", args=[draft_a.pk])).status_code == 403
    draft_a.refresh_from_db()
    assert draft_a.status == S.DRAFT


def test_submitting_outside_the_window_says_why(client, officer_a, draft_a, cycle):
    cycle.opens_on = timezone.localdate() - datetime.timedelta(days=30)
    cycle.closes_on = timezone.localdate() - datetime.timedelta(days=1)
    cycle.save()
    client.force_login(officer_a)
    response = client.post(reverse("programs:submit", args=[draft_a.pk]), follow=True)
    assert "hanya dibuka" in response.content.decode()
    draft_a.refresh_from_db()
    assert draft_a.status == S.DRAFT


def test_submit_needs_post(client, officer_a, draft_a):
    client.force_login(officer_a)
    assert client.get(reverse("programs:submit", args=[draft_a.pk])).status_code == 405


def test_the_ketua_withdraws_with_a_note(client, officer_a, draft_a, place):
    place(draft_a, S.SUBMITTED)
    client.force_login(officer_a)
    response = client.post(reverse("programs:withdraw", args=[draft_a.pk]), {"note": "Sudah didanai CSR."})
    assert response.status_code == 302
    draft_a.refresh_from_db()
    assert draft_a.status == S.WITHDRAWN
    event = draft_a.events.get(to_status=S.WITHDRAWN)
    assert event.note == "Sudah didanai CSR."
    assert "Sudah didanai CSR." in client.get(detail_url(draft_a)).content.decode()


def test_withdrawing_an_approved_proposal_is_refused_with_a_message(client, officer_a, draft_a, place):
    place(draft_a, S.APPROVED)
    client.force_login(officer_a)
    response = client.post(reverse("programs:withdraw", args=[draft_a.pk]), follow=True)
    assert "tidak dapat dilakukan sekarang" in response.content.decode()
    draft_a.refresh_from_db()
    assert draft_a.status == S.APPROVED


# --- decisions held for the whole cycle --------------------------------------------------------------------


def test_a_held_decision_is_invisible_to_the_board_until_published(client, officer_a, coordinator_a, staff, draft_a,
                                                                    cycle):
    cycle.publication = "together"
    cycle.save()
    lifecycle.proposal_submit(proposal=draft_a, by=officer_a)
    lifecycle.proposal_start_review(proposal=draft_a, by=staff)
    lifecycle.proposal_approve(proposal=draft_a, by=staff, approved_budget=1_000_000, note="Disetujui sebagian.")

    for user in (officer_a, coordinator_a):
        client.force_login(user)
        page = client.get(detail_url(draft_a)).content.decode()
        assert "Sedang ditinjau" in page
        assert "Disetujui" not in page
        assert "Rp1.000.000" not in page
        assert "Disetujui sebagian." not in page
        assert "status-approved" not in page
        listing = client.get(reverse("programs:list")).content.decode()
        assert "Sedang ditinjau" in listing
        assert "Disetujui" not in listing

    client.force_login(staff)
    assert "Rp1.000.000" in client.get(detail_url(draft_a)).content.decode()

    lifecycle.cycle_publish_decisions(cycle=cycle, by=staff)
    client.force_login(officer_a)
    page = client.get(detail_url(draft_a)).content.decode()
    assert "Disetujui" in page
    assert "Rp1.000.000" in page
    assert "Disetujui sebagian." in page
    assert "Disetujui" in client.get(reverse("programs:list")).content.decode()
    # Now the board may report progress.
    assert reverse("programs:progress_add", args=[draft_a.pk]) in page


# --- progress, completion -----------------------------------------------------------------------------------


def test_the_board_reports_progress_and_the_page_shows_the_bar(client, member_a, draft_a, place):
    place(draft_a, S.APPROVED)
    client.force_login(member_a)
    assert client.get(reverse("programs:progress_add", args=[draft_a.pk])).status_code == 200
    response = client.post(reverse("programs:progress_add", args=[draft_a.pk]), {
        "report_date": timezone.localdate().isoformat(), "percent": "60", "narrative": "Pelatihan hari pertama.",
        "spent": "0",
    })
    assert response.status_code == 302
    draft_a.refresh_from_db()
    assert draft_a.status == S.IN_PROGRESS
    assert draft_a.progress_percent == 60
    page = client.get(detail_url(draft_a)).content.decode()
    assert '<progress id="progress-bar" max="100" value="60">' in page
    assert "60%" in page
    assert "Pelatihan hari pertama." in page


def test_progress_may_not_go_backwards(client, officer_a, draft_a, place):
    place(draft_a, S.IN_PROGRESS, progress_percent=50)
    client.force_login(officer_a)
    response = client.post(reverse("programs:progress_add", args=[draft_a.pk]), {
        "report_date": timezone.localdate().isoformat(), "percent": "40", "narrative": "Mundur.", "spent": "1.000",
    })
    assert response.status_code == 400
    assert "tidak boleh lebih kecil" in response.content.decode()
    assert not draft_a.progress_reports.exists()


def test_progress_on_a_draft_is_refused(client, officer_a, draft_a):
    client.force_login(officer_a)
    response = client.get(reverse("programs:progress_add", args=[draft_a.pk]), follow=True)
    assert "Laporan kemajuan hanya untuk usulan" in response.content.decode()


@pytest.mark.parametrize("persona, status", [("officer_b", 404), ("coordinator_a", 403), ("staff", 403)])
def test_only_the_board_reports_progress(client, draft_a, place, persona, status, request):
    place(draft_a, S.IN_PROGRESS)
    client.force_login(request.getfixturevalue(persona))
    response = client.post(reverse("programs:progress_add", args=[draft_a.pk]), {
        "report_date": timezone.localdate().isoformat(), "percent": "60", "narrative": "x", "spent": "0",
    })
    assert response.status_code == status
    assert not draft_a.progress_reports.exists()


def test_the_board_completes_with_a_final_report(client, officer_a, draft_a, place):
    place(draft_a, S.IN_PROGRESS, progress_percent=80)
    client.force_login(officer_a)
    assert client.get(reverse("programs:complete", args=[draft_a.pk])).status_code == 200
    response = client.post(reverse("programs:complete", args=[draft_a.pk]), {
        "report_date": timezone.localdate().isoformat(), "narrative": "Semua kader terlatih.",
        "spent": "1.200.000",
    })
    assert response.status_code == 302
    draft_a.refresh_from_db()
    assert draft_a.status == S.COMPLETED
    assert draft_a.progress_percent == 100
    assert draft_a.spent == 1_200_000


# --- carrying over, comments ----------------------------------------------------------------------------------


def test_a_rejected_proposal_is_carried_into_the_next_cycle(client, officer_a, draft_a, place):
    place(draft_a, S.REJECTED, decision_note="Anggaran habis.")
    later = factories.CycleFactory(opens_on=draft_a.cycle.opens_on + datetime.timedelta(days=1),
                                   closes_on=draft_a.cycle.closes_on + datetime.timedelta(days=300))
    client.force_login(officer_a)
    page = client.get(detail_url(draft_a)).content.decode()
    assert "Anggaran habis." in page
    assert reverse("programs:carry_over", args=[draft_a.pk]) in page
    assert later.name in client.get(reverse("programs:carry_over", args=[draft_a.pk])).content.decode()
    response = client.post(reverse("programs:carry_over", args=[draft_a.pk]), {"cycle": later.pk})
    copy = Proposal.objects.get(carried_from=draft_a)
    assert response.status_code == 302
    assert response.url == detail_url(copy)
    assert copy.cycle == later
    assert copy.status == S.DRAFT
    assert draft_a.title in client.get(response.url).content.decode()
    assert detail_url(copy) in client.get(detail_url(draft_a)).content.decode()


def test_a_pending_proposal_cannot_be_carried_over(client, officer_a, draft_a):
    client.force_login(officer_a)
    response = client.post(reverse("programs:carry_over", args=[draft_a.pk]), {"cycle": draft_a.cycle.pk},
                           follow=True)
    assert "dapat dilanjutkan" in response.content.decode()
    assert not Proposal.objects.filter(carried_from=draft_a).exists()


def test_the_board_comments(client, member_a, draft_a):
    client.force_login(member_a)
    response = client.post(reverse("programs:comment", args=[draft_a.pk]), {"text": "Mohon arahan <b>staf</b>."})
    assert response.status_code == 302
    assert draft_a.events.filter(kind=ProposalEvent.Kind.COMMENT).count() == 1
    page = client.get(detail_url(draft_a)).content.decode()
    assert "Mohon arahan &lt;b&gt;staf&lt;/b&gt;." in page


def test_an_empty_comment_is_refused_next_to_the_field(client, member_a, draft_a):
    client.force_login(member_a)
    response = client.post(reverse("programs:comment", args=[draft_a.pk]), {"text": "   "})
    assert response.status_code == 400
    assert "Tulis komentar terlebih dahulu." in response.content.decode()
    assert not draft_a.events.filter(kind=ProposalEvent.Kind.COMMENT).exists()


def test_the_coordinator_may_not_comment(client, coordinator_a, draft_a, place):
    place(draft_a, S.SUBMITTED)
    client.force_login(coordinator_a)
    assert 'name="text"' not in client.get(detail_url(draft_a)).content.decode()
    assert client.post(reverse("programs:comment", args=[draft_a.pk]), {"text": "Halo"}).status_code == 403


# --- every page renders -------------------------------------------------------------------------------------------


def test_every_board_page_renders_without_inline_code(client, officer_a, draft_a, place, cycle):
    client.force_login(officer_a)
    urls = [reverse("programs:list"), reverse("programs:create"), detail_url(draft_a),
            reverse("programs:edit", args=[draft_a.pk])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_inline_code(response.content.decode())
    place(draft_a, S.IN_PROGRESS)
    for url in (reverse("programs:progress_add", args=[draft_a.pk]), reverse("programs:complete", args=[draft_a.pk]),
                detail_url(draft_a)):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_inline_code(response.content.decode())
    place(draft_a, S.REJECTED)
    response = client.get(reverse("programs:carry_over", args=[draft_a.pk]))
    assert response.status_code == 200
    assert "Belum ada siklus berikutnya" in response.content.decode()

"""Staff review steps and the Forum recommendation, through their views (programs/views/review.py)."""

import pytest
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from organizations.access import access_for
from programs import lifecycle
from programs.models import Evaluation, Proposal, ProposalEvent, Recommendation
from tests.factories import ProposalFactory

S = Proposal.Status


def url(name, proposal):
    return reverse(f"programs:{name}", args=[proposal.pk])


def detail(proposal):
    return reverse("programs:detail", args=[proposal.pk])


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def reloaded(proposal):
    return Proposal.objects.get(pk=proposal.pk)


@pytest.fixture
def submitted_a(draft_a, place):
    return place(draft_a, S.SUBMITTED)


@pytest.fixture
def reviewing_a(draft_a, place):
    """LPM A's proposal under review; Rp1.250.000 requested."""
    return place(draft_a, S.UNDER_REVIEW)


@pytest.fixture
def completed_a(draft_a, place):
    return place(draft_a, S.COMPLETED, progress_percent=100, spent=1_100_000)


def transitions(proposal, to_status):
    return ProposalEvent.objects.filter(proposal=proposal, kind=ProposalEvent.Kind.TRANSITION, to_status=to_status)


# --- each staff step ----------------------------------------------------------------------------


def test_it_starts_the_review_of_a_submitted_proposal(client, staff, submitted_a):
    client.force_login(staff)
    response = client.post(url("start_review", submitted_a))
    assert response.status_code == 302
    assert response.url == detail(submitted_a)
    assert reloaded(submitted_a).status == S.UNDER_REVIEW
    assert transitions(submitted_a, S.UNDER_REVIEW).get().actor == staff


def test_it_shows_the_start_review_page_without_changing_anything(client, staff, submitted_a):
    client.force_login(staff)
    response = client.get(url("start_review", submitted_a))
    assert response.status_code == 200
    assert f'action="{url("start_review", submitted_a)}"' in response.content.decode()
    assert reloaded(submitted_a).status == S.SUBMITTED


def test_it_requests_a_revision_with_the_note(client, staff, reviewing_a):
    client.force_login(staff)
    response = client.post(url("request_revision", reviewing_a), {"note": "Lengkapi RAB konsumsi."})
    assert response.url == detail(reviewing_a)
    assert reloaded(reviewing_a).status == S.REVISION_REQUESTED
    assert transitions(reviewing_a, S.REVISION_REQUESTED).get().note == "Lengkapi RAB konsumsi."


@pytest.mark.parametrize("note", ["", "   "])
def test_it_refuses_a_revision_request_without_a_note_next_to_the_field(client, staff, reviewing_a, note):
    client.force_login(staff)
    response = client.post(url("request_revision", reviewing_a), {"note": note})
    assert response.status_code == 400
    assert response.context["form"].errors["note"] == ["Tuliskan apa yang perlu diperbaiki."]
    assert "Tuliskan apa yang perlu diperbaiki." in response.content.decode()
    assert reloaded(reviewing_a).status == S.UNDER_REVIEW
    assert not transitions(reviewing_a, S.REVISION_REQUESTED).exists()


def test_it_approves_with_a_lower_budget_and_a_note(client, staff, reviewing_a):
    client.force_login(staff)
    response = client.post(url("approve", reviewing_a), {"approved_budget": "1.000.000", "note": "Dikurangi."})
    assert response.url == detail(reviewing_a)
    proposal = reloaded(reviewing_a)
    assert proposal.status == S.APPROVED
    assert proposal.approved_budget == 1_000_000
    assert proposal.decision_note == "Dikurangi."
    assert proposal.decided_by == staff
    assert proposal.decision_published_at is not None  # the cycle announces decisions one by one
    assert transitions(reviewing_a, S.APPROVED).count() == 1
    assert texts(response) == ["Usulan disetujui."]


def test_it_parses_an_approved_amount_typed_with_rp_and_dots(client, staff, reviewing_a):
    client.force_login(staff)
    client.post(url("approve", reviewing_a), {"approved_budget": "Rp 1.000.000"})
    assert reloaded(reviewing_a).approved_budget == 1_000_000


def test_it_approves_the_full_amount(client, staff, reviewing_a):
    client.force_login(staff)
    client.post(url("approve", reviewing_a), {"approved_budget": "1250000"})
    assert reloaded(reviewing_a).approved_budget == 1_250_000


def test_it_refuses_an_approved_budget_above_the_request(client, staff, reviewing_a):
    client.force_login(staff)
    response = client.post(url("approve", reviewing_a), {"approved_budget": "1.250.001"})
    assert response.status_code == 400
    errors = response.context["form"].errors["approved_budget"]
    assert errors == ["Anggaran yang disetujui tidak boleh melebihi yang diusulkan (Rp1.250.000)."]
    assert "tidak boleh melebihi yang diusulkan" in response.content.decode()
    proposal = reloaded(reviewing_a)
    assert proposal.status == S.UNDER_REVIEW
    assert proposal.approved_budget is None
    assert not transitions(reviewing_a, S.APPROVED).exists()


@pytest.mark.parametrize("typed, message", [
    ("", "Isi anggaran yang disetujui."),
    ("0", "Jumlah harus lebih dari nol."),
    ("-5000", "Jumlah tidak boleh negatif."),
    ("1.000.000,50", "Gunakan Rupiah utuh tanpa sen, misalnya 1.250.000."),
    ("satu juta", "Tulis jumlah dengan angka saja, misalnya 1.250.000."),
])
def test_it_refuses_a_bad_approved_amount_next_to_the_field(client, staff, reviewing_a, typed, message):
    client.force_login(staff)
    response = client.post(url("approve", reviewing_a), {"approved_budget": typed})
    assert response.status_code == 400
    assert response.context["form"].errors["approved_budget"] == [message]
    assert reloaded(reviewing_a).status == S.UNDER_REVIEW


def test_the_approve_page_is_prefilled_with_the_requested_total(client, staff, reviewing_a):
    client.force_login(staff)
    response = client.get(url("approve", reviewing_a))
    assert response.status_code == 200
    assert 'value="1.250.000"' in response.content.decode()


def test_it_rejects_with_a_reason(client, staff, reviewing_a):
    client.force_login(staff)
    response = client.post(url("reject", reviewing_a), {"reason": "Di luar bidang siklus ini."})
    assert response.url == detail(reviewing_a)
    proposal = reloaded(reviewing_a)
    assert proposal.status == S.REJECTED
    assert proposal.decision_note == "Di luar bidang siklus ini."
    assert transitions(reviewing_a, S.REJECTED).get().note == "Di luar bidang siklus ini."


def test_it_refuses_a_rejection_without_a_reason(client, staff, reviewing_a):
    client.force_login(staff)
    response = client.post(url("reject", reviewing_a), {"reason": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["reason"] == ["Tuliskan alasan penolakan."]
    assert reloaded(reviewing_a).status == S.UNDER_REVIEW


def test_it_records_the_evaluation_of_a_completed_proposal(client, staff, completed_a):
    client.force_login(staff)
    response = client.post(url("evaluate", completed_a), {
        "targets_met": "1", "beneficiaries_reached": "38", "budget_realised": "Rp 1.100.000", "score": "4",
        "notes": "Berjalan baik.",
    })
    assert response.url == detail(completed_a)
    assert reloaded(completed_a).status == S.EVALUATED
    evaluation = Evaluation.objects.get(proposal=completed_a)
    assert (evaluation.targets_met, evaluation.beneficiaries_reached, evaluation.budget_realised, evaluation.score,
            evaluation.notes, evaluation.by) == (True, 38, 1_100_000, 4, "Berjalan baik.", staff)


def test_it_accepts_a_zero_realised_budget_and_targets_not_met(client, staff, completed_a):
    client.force_login(staff)
    client.post(url("evaluate", completed_a), {
        "targets_met": "0", "beneficiaries_reached": "0", "budget_realised": "0", "score": "1",
    })
    evaluation = Evaluation.objects.get(proposal=completed_a)
    assert (evaluation.targets_met, evaluation.budget_realised, evaluation.score) == (False, 0, 1)


@pytest.mark.parametrize("field, value", [("score", "6"), ("score", ""), ("targets_met", ""),
                                          ("budget_realised", "-1"), ("beneficiaries_reached", "banyak")])
def test_it_refuses_a_bad_evaluation_next_to_the_field(client, staff, completed_a, field, value):
    client.force_login(staff)
    data = {"targets_met": "1", "beneficiaries_reached": "38", "budget_realised": "1.100.000", "score": "4"}
    data[field] = value
    response = client.post(url("evaluate", completed_a), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert reloaded(completed_a).status == S.COMPLETED
    assert not Evaluation.objects.exists()


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("name, data, status", [
    ("start_review", {}, S.DRAFT),
    ("start_review", {}, S.UNDER_REVIEW),
    ("approve", {"approved_budget": "1.000.000"}, S.SUBMITTED),
    ("approve", {"approved_budget": "1.000.000"}, S.APPROVED),
    ("reject", {"reason": "Tidak sesuai."}, S.REVISION_REQUESTED),
    ("request_revision", {"note": "Perbaiki."}, S.SUBMITTED),
    ("evaluate", {"targets_met": "1", "beneficiaries_reached": "1", "budget_realised": "0", "score": "3"},
     S.IN_PROGRESS),
])
def test_it_refuses_a_step_from_the_wrong_state_with_a_message(client, staff, draft_a, place, name, data, status):
    proposal = place(draft_a, status)
    before = ProposalEvent.objects.count()
    client.force_login(staff)
    response = client.post(url(name, proposal), data)
    assert response.status_code == 302
    assert response.url == detail(proposal)
    [message] = texts(response)
    assert "tidak dapat dilakukan sekarang" in message
    assert reloaded(proposal).status == status
    assert ProposalEvent.objects.count() == before


@pytest.mark.parametrize("who", ["officer_a", "member_a", "coordinator_a"])
@pytest.mark.parametrize("name, data", [
    ("approve", {"approved_budget": "1.000.000"}),
    ("reject", {"reason": "x"}),
    ("request_revision", {"note": "x"}),
    ("start_review", {}),
])
def test_people_of_the_board_and_its_forum_may_not_take_staff_steps(client, request, reviewing_a, who, name, data):
    client.force_login(request.getfixturevalue(who))
    assert client.post(url(name, reviewing_a), data).status_code == 403
    assert client.get(url(name, reviewing_a)).status_code == 403
    assert reloaded(reviewing_a).status == S.UNDER_REVIEW


def test_the_board_may_not_evaluate_its_own_proposal(client, officer_a, completed_a):
    client.force_login(officer_a)
    response = client.post(url("evaluate", completed_a), {
        "targets_met": "1", "beneficiaries_reached": "1", "budget_realised": "0", "score": "5"})
    assert response.status_code == 403
    assert reloaded(completed_a).status == S.COMPLETED


@pytest.mark.parametrize("name", ["approve", "reject", "request_revision", "start_review", "evaluate", "recommend"])
def test_another_board_gets_404(client, officer_b, reviewing_a, name):
    client.force_login(officer_b)
    assert client.post(url(name, reviewing_a), {"approved_budget": "1", "reason": "x", "note": "x"}).status_code == 404
    assert client.get(url(name, reviewing_a)).status_code == 404
    assert reloaded(reviewing_a).status == S.UNDER_REVIEW


def test_an_unknown_proposal_is_404_for_staff(client, staff):
    client.force_login(staff)
    assert client.post(reverse("programs:approve", args=[999999]), {"approved_budget": "1"}).status_code == 404


@pytest.mark.parametrize("name", ["approve", "reject", "start_review", "recommend"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, reviewing_a, name):
    response = client.post(url(name, reviewing_a), {"approved_budget": "1.000.000"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert reloaded(reviewing_a).status == S.UNDER_REVIEW


def test_an_admin_may_take_staff_steps(client, admin_user, reviewing_a):
    client.force_login(admin_user)
    client.post(url("approve", reviewing_a), {"approved_budget": "900.000"})
    assert reloaded(reviewing_a).approved_budget == 900_000


# --- the Forum recommendation -----------------------------------------------------------------


def test_the_forum_coordinator_recommends_a_submitted_proposal_of_its_kecamatan(client, coordinator_a, submitted_a,
                                                                                  world):
    client.force_login(coordinator_a)
    response = client.post(url("recommend", submitted_a), {"recommends": "1", "note": "Sangat dibutuhkan warga."})
    assert response.url == detail(submitted_a)
    recommendation = Recommendation.objects.get(proposal=submitted_a)
    assert (recommendation.recommends, recommendation.note, recommendation.by, recommendation.forum) == (
        True, "Sangat dibutuhkan warga.", coordinator_a, world["forum_a"])
    assert ProposalEvent.objects.filter(proposal=submitted_a, kind=ProposalEvent.Kind.RECOMMENDATION).exists()
    assert reloaded(submitted_a).status == S.SUBMITTED


def test_the_forum_may_change_its_recommendation_while_under_review(client, coordinator_a, reviewing_a):
    client.force_login(coordinator_a)
    client.post(url("recommend", reviewing_a), {"recommends": "1"})
    client.post(url("recommend", reviewing_a), {"recommends": "0", "note": "Lokasi tumpang tindih."})
    recommendation = Recommendation.objects.get(proposal=reviewing_a)
    assert (recommendation.recommends, recommendation.note) == (False, "Lokasi tumpang tindih.")


def test_the_recommend_page_shows_the_saved_recommendation(client, coordinator_a, reviewing_a):
    Recommendation.objects.create(proposal=reviewing_a, recommends=False, note="Catatan lama", by=coordinator_a)
    client.force_login(coordinator_a)
    response = client.get(url("recommend", reviewing_a))
    assert response.status_code == 200
    assert response.context["form"]["recommends"].value() == "0"
    assert "Catatan lama" in response.content.decode()


def test_a_recommendation_needs_a_yes_or_no(client, coordinator_a, submitted_a):
    client.force_login(coordinator_a)
    response = client.post(url("recommend", submitted_a), {"note": "?"})
    assert response.status_code == 400
    assert response.context["form"].errors["recommends"] == ["Pilih merekomendasikan atau tidak."]
    assert not Recommendation.objects.exists()


def test_the_forum_of_another_kecamatan_gets_404(client, coordinator_a, world, cycle, place, officer_b):
    proposal_b = place(ProposalFactory(board=world["board_b"], cycle=cycle), S.SUBMITTED)
    client.force_login(coordinator_a)
    assert client.post(url("recommend", proposal_b), {"recommends": "1"}).status_code == 404
    assert not Recommendation.objects.exists()


def test_the_forum_cannot_see_or_recommend_a_draft(client, coordinator_a, draft_a):
    client.force_login(coordinator_a)
    assert client.post(url("recommend", draft_a), {"recommends": "1"}).status_code == 404
    assert not Recommendation.objects.exists()


@pytest.mark.parametrize("status", [S.APPROVED, S.REVISION_REQUESTED, S.IN_PROGRESS])
def test_the_forum_may_not_recommend_once_the_proposal_moved_on(client, coordinator_a, draft_a, place, status):
    proposal = place(draft_a, status)
    client.force_login(coordinator_a)
    response = client.post(url("recommend", proposal), {"recommends": "1"})
    assert response.status_code == 302
    assert response.url == detail(proposal)
    assert texts(response) == ["Rekomendasi hanya dapat diberikan selagi usulan diajukan atau ditinjau."]
    assert not Recommendation.objects.exists()


@pytest.mark.parametrize("who", ["staff", "officer_a"])
def test_staff_and_the_board_do_not_recommend(client, request, submitted_a, who):
    client.force_login(request.getfixturevalue(who))
    assert client.post(url("recommend", submitted_a), {"recommends": "1"}).status_code == 403
    assert not Recommendation.objects.exists()


# --- the panel on the proposal page -------------------------------------------------------------


def panel(user, proposal):
    """Render the panel as programs/detail.html includes it."""
    access = access_for(user)
    proposal = access.get_proposal_or_404(proposal.pk)
    request = RequestFactory().get(detail(proposal))
    request.user = user
    return render_to_string("programs/_review_panel.html", {
        "proposal": proposal,
        "access": access,
        "actions": lifecycle.allowed_actions(access, proposal),
        "recommendation": Recommendation.objects.filter(proposal=proposal).first(),
        "evaluation": Evaluation.objects.filter(proposal=proposal).first(),
        "can_recommend": lifecycle.may_recommend(access, proposal),
    }, request=request)


def test_the_panel_offers_staff_the_decisions_of_a_proposal_under_review(staff, coordinator_a, reviewing_a):
    Recommendation.objects.create(proposal=reviewing_a, recommends=True, note="Didukung forum.", by=coordinator_a)
    html = panel(staff, reviewing_a)
    for name in ("approve", "reject", "request_revision"):
        assert f'action="{url(name, reviewing_a)}"' in html
    assert f'action="{url("start_review", reviewing_a)}"' not in html
    assert f'action="{url("recommend", reviewing_a)}"' not in html
    assert 'name="approved_budget" value="1.250.000"' in html
    assert "Direkomendasikan" in html and "Didukung forum." in html


def test_the_panel_offers_staff_to_start_the_review_of_a_submitted_proposal(staff, submitted_a):
    html = panel(staff, submitted_a)
    assert f'action="{url("start_review", submitted_a)}"' in html
    assert f'action="{url("approve", submitted_a)}"' not in html
    assert "belum memberi rekomendasi" in html


def test_the_panel_offers_staff_the_evaluation_of_a_completed_proposal(staff, completed_a):
    html = panel(staff, completed_a)
    assert f'action="{url("evaluate", completed_a)}"' in html
    assert 'name="budget_realised" value="1.100.000"' in html


def test_the_panel_offers_the_forum_only_its_recommendation(coordinator_a, submitted_a):
    html = panel(coordinator_a, submitted_a)
    assert f'action="{url("recommend", submitted_a)}"' in html
    assert "Tinjauan staf" not in html
    assert f'action="{url("approve", submitted_a)}"' not in html


@pytest.mark.parametrize("who", ["officer_a", "member_a"])
def test_the_panel_shows_the_board_nothing(request, submitted_a, who):
    html = panel(request.getfixturevalue(who), submitted_a)
    assert "<form" not in html
    assert "Tinjauan staf" not in html


def test_the_panel_tells_staff_a_decision_is_held(staff, reviewing_a, place):
    cycle = reviewing_a.cycle
    cycle.publication = "together"
    cycle.save()
    lifecycle.proposal_approve(proposal=reviewing_a, by=staff, approved_budget=1_000_000)
    html = panel(staff, reviewing_a)
    assert "belum diumumkan" in html
    assert reverse("programs:cycle_publish", args=[cycle.pk]) in html


def test_the_proposal_page_carries_the_panel(client, staff, coordinator_a, reviewing_a):
    client.force_login(staff)
    html = client.get(detail(reviewing_a)).content.decode()
    assert f'action="{url("approve", reviewing_a)}"' in html
    client.force_login(coordinator_a)
    html = client.get(detail(reviewing_a)).content.decode()
    assert f'action="{url("recommend", reviewing_a)}"' in html
    assert f'action="{url("approve", reviewing_a)}"' not in html

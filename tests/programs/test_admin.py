"""The Django admin for proposals: fields and cycles editable, proposal states only through the lifecycle."""

import json

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from programs.models import Category, Cycle, Notice, Proposal, ProposalEvent
from tests.factories import ProposalFactory

S = Proposal.Status
PROPOSALS = reverse("admin:programs_proposal_changelist")


def change_url(proposal):
    return reverse("admin:programs_proposal_change", args=[proposal.pk])


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def payload(response):
    """What the browser would send back from an admin change page, untouched."""
    data = {}

    def add(form):
        for bound in form:
            if bound.field.disabled:
                continue
            value = bound.field.prepare_value(bound.value())
            if isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
                continue
            if isinstance(value, list | dict):
                value = json.dumps(value)
            data[bound.html_name] = "" if value is None else str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


@pytest.fixture
def submitted_a(draft_a, place):
    return place(draft_a, S.SUBMITTED)


@pytest.mark.parametrize("model", ["category", "cycle", "proposal", "proposalevent", "notice"])
def test_every_programs_page_of_the_admin_opens(client, admin_user, submitted_a, staff, model):
    event = ProposalEvent.objects.create(proposal=submitted_a, kind=ProposalEvent.Kind.TRANSITION,
                                         from_status=S.DRAFT, to_status=S.SUBMITTED, actor=staff)
    Notice.objects.create(event=event, user=staff, email="staf@example.org")
    client.force_login(admin_user)
    response = client.get(reverse(f"admin:programs_{model}_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


def test_officers_are_sent_to_the_login_page(client, officer_a):
    client.force_login(officer_a)
    response = client.get(PROPOSALS)
    assert response.status_code == 302
    assert "login" in response.url


def test_proposals_are_not_added_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("admin:programs_proposal_add")).status_code == 403


def test_the_status_is_read_only_on_the_change_page(client, admin_user, submitted_a):
    client.force_login(admin_user)
    response = client.get(change_url(submitted_a))
    assert response.status_code == 200
    form = response.context["adminform"].form
    for name in ("status", "approved_budget", "decision_published_at", "total_requested", "board"):
        assert name not in form.fields
    assert 'name="status"' not in response.content.decode()
    assert "Diajukan" in response.content.decode()


def test_saving_the_change_form_corrects_content_but_never_the_status(client, admin_user, submitted_a):
    client.force_login(admin_user)
    data = payload(client.get(change_url(submitted_a)))
    data.update({"title": "Pelatihan kader posyandu (judul diperbaiki)", "status": S.APPROVED,
                 "approved_budget": "1", "_save": "Simpan"})
    response = client.post(change_url(submitted_a), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    proposal = Proposal.objects.get(pk=submitted_a.pk)
    assert proposal.title == "Pelatihan kader posyandu (judul diperbaiki)"
    assert (proposal.status, proposal.approved_budget) == (S.SUBMITTED, None)
    assert proposal.budget_lines.count() == 1


def test_the_start_review_action_goes_through_the_lifecycle_and_reports_refusals(client, admin_user, submitted_a,
                                                                                 world, cycle, place):
    draft = ProposalFactory(board=world["board_a2"], cycle=cycle, title="Masih draf")
    approved = place(ProposalFactory(board=world["board_b"], cycle=cycle, title="Sudah disetujui"), S.APPROVED)
    client.force_login(admin_user)
    response = client.post(PROPOSALS, {"action": "start_review",
                                       "_selected_action": [submitted_a.pk, draft.pk, approved.pk]})
    assert response.status_code == 302
    assert Proposal.objects.get(pk=submitted_a.pk).status == S.UNDER_REVIEW
    assert ProposalEvent.objects.filter(proposal=submitted_a, to_status=S.UNDER_REVIEW, actor=admin_user).exists()
    assert Proposal.objects.get(pk=draft.pk).status == S.DRAFT
    assert Proposal.objects.get(pk=approved.pk).status == S.APPROVED
    messages = texts(response)
    assert any(m.startswith("Masih draf:") and "Draf" in m for m in messages)
    assert any(m.startswith("Sudah disetujui:") for m in messages)
    assert "1 usulan mulai ditinjau." in messages


def test_the_proposal_list_filters_by_kecamatan_and_searches(client, admin_user, submitted_a, world, cycle):
    other = ProposalFactory(board=world["board_b"], cycle=cycle, title="Senam lansia")
    client.force_login(admin_user)
    response = client.get(PROPOSALS, {"kecamatan": world["kec_b"].pk})
    assert list(response.context["cl"].result_list) == [other]
    response = client.get(PROPOSALS, {"q": "Kelurahan A1"})
    assert list(response.context["cl"].result_list) == [submitted_a]


def test_categories_are_reordered_and_switched_off_from_the_list(client, admin_user):
    first = Category.objects.order_by("order", "name").first()
    client.force_login(admin_user)
    response = client.post(reverse("admin:programs_category_changelist"), {
        "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000",
        "form-0-id": first.pk, "form-0-order": "99", "_save": "Simpan",
    })
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.order, first.is_active) == (99, False)


def test_a_cycle_is_edited_but_its_publication_time_is_read_only(client, admin_user, cycle):
    client.force_login(admin_user)
    response = client.get(reverse("admin:programs_cycle_change", args=[cycle.pk]))
    assert "decisions_published_at" not in response.context["adminform"].form.fields
    assert "name" in response.context["adminform"].form.fields
    assert Cycle.objects.count() == 1


def test_events_and_notices_are_read_only(client, admin_user, submitted_a, staff):
    event = ProposalEvent.objects.create(proposal=submitted_a, kind=ProposalEvent.Kind.COMMENT, note="Catatan",
                                         actor=staff)
    notice = Notice.objects.create(event=event, email="ketua.a@example.org")
    client.force_login(admin_user)
    assert client.get(reverse("admin:programs_proposalevent_add")).status_code == 403
    assert client.get(reverse("admin:programs_notice_add")).status_code == 403
    response = client.post(reverse("admin:programs_proposalevent_change", args=[event.pk]), {"note": "Diubah"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.note == "Catatan"
    assert client.get(reverse("admin:programs_notice_change", args=[notice.pk])).status_code == 200
    assert client.post(reverse("admin:programs_notice_delete", args=[notice.pk]), {"post": "yes"}).status_code == 403
    assert Notice.objects.filter(pk=notice.pk).exists()


def test_the_change_page_shows_budget_lines_and_events_without_add_rows(client, admin_user, submitted_a, staff):
    ProposalEvent.objects.create(proposal=submitted_a, kind=ProposalEvent.Kind.COMMENT, note="Catatan staf",
                                 actor=staff, actor_name="Staf Uji")
    client.force_login(admin_user)
    response = client.get(change_url(submitted_a))
    html = response.content.decode()
    assert "Konsumsi peserta" in html and "Catatan staf" in html
    for inline in response.context["inline_admin_formsets"]:
        assert not inline.has_add_permission

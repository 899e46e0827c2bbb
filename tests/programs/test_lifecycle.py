"""The proposal lifecycle (brief §7) through its one service module: who may move what, from where."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from meetings.models import Notification
from programs import lifecycle, notices
from programs.models import Cycle, Notice, Proposal, ProposalEvent
from tests import factories

S = Proposal.Status


@pytest.fixture
def secretary_a(world):
    user = factories.UserFactory(username="sekretaris.a@example.org", email="sekretaris.a@example.org")
    person = factories.PersonFactory(name="Dewi Lestari", email=user.email, user=user)
    factories.MembershipFactory(person=person, board=world["board_a"], position="sekretaris")
    return user


def _status(proposal):
    proposal.refresh_from_db()
    return proposal.status


def _events(proposal, **filters):
    return list(ProposalEvent.objects.filter(proposal=proposal, **filters).values_list("from_status", "to_status"))


# --- the allowed path, each step by its role --------------------------------------------------


def test_whole_path_by_the_right_roles(draft_a, officer_a, member_a, staff):
    lifecycle.proposal_submit(proposal=draft_a, by=officer_a)
    assert _status(draft_a) == S.SUBMITTED
    assert draft_a.submitted_at is not None
    lifecycle.proposal_start_review(proposal=draft_a, by=staff)
    lifecycle.proposal_request_revision(proposal=draft_a, by=staff, note="Lengkapi rincian konsumsi.")
    assert _status(draft_a) == S.REVISION_REQUESTED
    lifecycle.proposal_update(proposal=draft_a, by=member_a, title="Pelatihan kader (revisi)")
    lifecycle.proposal_submit(proposal=draft_a, by=officer_a)
    lifecycle.proposal_start_review(proposal=draft_a, by=staff)
    lifecycle.proposal_approve(proposal=draft_a, by=staff, approved_budget=1_000_000, note="Disetujui sebagian.")
    draft_a.refresh_from_db()
    assert (draft_a.status, draft_a.approved_budget, draft_a.decided_by) == (S.APPROVED, 1_000_000, staff)
    assert draft_a.decision_published_at is not None

    report = lifecycle.progress_add(proposal=draft_a, by=member_a, report_date=timezone.localdate(), percent=40,
                                    narrative="Pelatihan hari pertama.", spent=400_000)
    draft_a.refresh_from_db()
    assert (draft_a.status, draft_a.progress_percent, draft_a.spent) == (S.IN_PROGRESS, 40, 400_000)
    assert report.percent == 40
    lifecycle.proposal_complete(proposal=draft_a, by=officer_a, report_date=timezone.localdate(),
                                narrative="Selesai.", spent=950_000)
    draft_a.refresh_from_db()
    assert (draft_a.status, draft_a.progress_percent) == (S.COMPLETED, 100)
    lifecycle.proposal_evaluate(proposal=draft_a, by=staff, targets_met=True, beneficiaries_reached=38,
                                budget_realised=950_000, score=4, notes="Baik.")
    assert _status(draft_a) == S.EVALUATED
    assert draft_a.evaluation.score == 4

    transitions = _events(draft_a, kind=ProposalEvent.Kind.TRANSITION)
    assert transitions == [
        ("draft", "submitted"), ("submitted", "under_review"),
        ("under_review", "revision_requested"), ("revision_requested", "submitted"),
        ("submitted", "under_review"), ("under_review", "approved"), ("approved", "in_progress"),
        ("in_progress", "completed"), ("completed", "evaluated"),
    ]


def test_secretary_submits_and_withdraws(draft_a, secretary_a):
    lifecycle.proposal_submit(proposal=draft_a, by=secretary_a)
    lifecycle.proposal_withdraw(proposal=draft_a, by=secretary_a, note="Digabung dengan usulan lain.")
    assert _status(draft_a) == S.WITHDRAWN


def test_rejection_needs_a_reason(draft_a, place, staff):
    place(draft_a, S.UNDER_REVIEW)
    with pytest.raises(ValidationError) as refused:
        lifecycle.proposal_reject(proposal=draft_a, by=staff, reason="  ")
    assert "reason" in refused.value.message_dict
    lifecycle.proposal_reject(proposal=draft_a, by=staff, reason="Di luar prioritas kelurahan.")
    draft_a.refresh_from_db()
    assert (draft_a.status, draft_a.decision_note) == (S.REJECTED, "Di luar prioritas kelurahan.")


def test_admin_may_take_every_step(draft_a, admin_user):
    lifecycle.proposal_submit(proposal=draft_a, by=admin_user)
    lifecycle.proposal_start_review(proposal=draft_a, by=admin_user)
    lifecycle.proposal_approve(proposal=draft_a, by=admin_user, approved_budget=draft_a.total_requested)
    assert _status(draft_a) == S.APPROVED


# --- refused: wrong role, wrong board, wrong state ---------------------------------------------


@pytest.mark.parametrize("persona", ["member_a", "staff", "coordinator_a", "officer_b"])
def test_only_ketua_or_sekretaris_of_the_board_submit(request, draft_a, persona):
    with pytest.raises(PermissionDenied):
        lifecycle.proposal_submit(proposal=draft_a, by=request.getfixturevalue(persona))
    assert _status(draft_a) == S.DRAFT
    assert not _events(draft_a, to_status=S.SUBMITTED)


@pytest.mark.parametrize("persona", ["officer_a", "member_a", "coordinator_a", "officer_b"])
@pytest.mark.parametrize("step", ["start_review", "approve", "reject", "request_revision"])
def test_only_staff_review(request, draft_a, place, persona, step):
    place(draft_a, S.SUBMITTED if step == "start_review" else S.UNDER_REVIEW)
    before = draft_a.status
    calls = {
        "start_review": lambda by: lifecycle.proposal_start_review(proposal=draft_a, by=by),
        "approve": lambda by: lifecycle.proposal_approve(proposal=draft_a, by=by, approved_budget=1),
        "reject": lambda by: lifecycle.proposal_reject(proposal=draft_a, by=by, reason="Tidak."),
        "request_revision": lambda by: lifecycle.proposal_request_revision(proposal=draft_a, by=by, note="Ubah."),
    }
    with pytest.raises(PermissionDenied):
        calls[step](request.getfixturevalue(persona))
    assert _status(draft_a) == before


@pytest.mark.parametrize("persona", ["staff", "officer_b", "coordinator_a"])
def test_only_the_board_edits_and_reports(request, draft_a, place, persona):
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        lifecycle.proposal_update(proposal=draft_a, by=user, title="Diubah orang lain")
    place(draft_a, S.APPROVED)
    with pytest.raises(PermissionDenied):
        lifecycle.progress_add(proposal=draft_a, by=user, report_date=timezone.localdate(), percent=10,
                               narrative="x", spent=0)
    draft_a.refresh_from_db()
    assert draft_a.title != "Diubah orang lain"
    assert not draft_a.progress_reports.exists()


@pytest.mark.parametrize(
    "state, step",
    [
        (S.DRAFT, "approve"),
        (S.SUBMITTED, "approve"),  # review must start first
        (S.APPROVED, "approve"),  # already decided
        (S.REJECTED, "start_review"),
        (S.WITHDRAWN, "submit"),
        (S.APPROVED, "withdraw"),
        (S.UNDER_REVIEW, "submit"),
        (S.IN_PROGRESS, "evaluate"),
    ],
)
def test_steps_not_allowed_from_the_state_are_refused(draft_a, place, officer_a, staff, state, step):
    place(draft_a, state)
    calls = {
        "approve": lambda: lifecycle.proposal_approve(proposal=draft_a, by=staff, approved_budget=1),
        "start_review": lambda: lifecycle.proposal_start_review(proposal=draft_a, by=staff),
        "submit": lambda: lifecycle.proposal_submit(proposal=draft_a, by=officer_a),
        "withdraw": lambda: lifecycle.proposal_withdraw(proposal=draft_a, by=officer_a),
        "evaluate": lambda: lifecycle.proposal_evaluate(proposal=draft_a, by=staff, targets_met=True,
                                                        beneficiaries_reached=1, budget_realised=1, score=3),
    }
    events_before = ProposalEvent.objects.count()
    with pytest.raises(ValidationError):
        calls[step]()
    assert _status(draft_a) == state
    assert ProposalEvent.objects.count() == events_before


def test_content_is_frozen_once_submitted(draft_a, place, officer_a):
    place(draft_a, S.SUBMITTED)
    with pytest.raises(ValidationError):
        lifecycle.proposal_update(proposal=draft_a, by=officer_a, title="Diubah setelah diajukan")
    draft_a.refresh_from_db()
    assert draft_a.title != "Diubah setelah diajukan"


# --- window and cap --------------------------------------------------------------------------


def test_submission_outside_the_window_says_when_it_is_open(draft_a, officer_a):
    Cycle.objects.filter(pk=draft_a.cycle_id).update(
        opens_on=timezone.localdate() + datetime.timedelta(days=5),
        closes_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    with pytest.raises(ValidationError) as refused:
        lifecycle.proposal_submit(proposal=draft_a, by=officer_a)
    assert "hanya dibuka" in refused.value.messages[0]
    assert _status(draft_a) == S.DRAFT


def test_submission_after_the_window_closed_is_refused(draft_a, officer_a):
    Cycle.objects.filter(pk=draft_a.cycle_id).update(
        opens_on=timezone.localdate() - datetime.timedelta(days=30),
        closes_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    with pytest.raises(ValidationError):
        lifecycle.proposal_submit(proposal=draft_a, by=officer_a)
    assert _status(draft_a) == S.DRAFT


def test_last_day_of_the_window_still_counts(draft_a, officer_a):
    Cycle.objects.filter(pk=draft_a.cycle_id).update(closes_on=timezone.localdate())
    lifecycle.proposal_submit(proposal=draft_a, by=officer_a)
    assert _status(draft_a) == S.SUBMITTED


def test_cap_per_board_counts_submitted_not_drafts_or_withdrawn(world, cycle, officer_a, place):
    Cycle.objects.filter(pk=cycle.pk).update(max_per_board=2)
    first, second, third, withdrawn = (
        factories.ProposalFactory(board=world["board_a"], cycle=cycle, priority=n) for n in range(1, 5)
    )
    place(withdrawn, S.WITHDRAWN)
    factories.ProposalFactory(board=world["board_b"], cycle=cycle)  # another board's do not count
    lifecycle.proposal_submit(proposal=first, by=officer_a)
    lifecycle.proposal_submit(proposal=second, by=officer_a)
    with pytest.raises(ValidationError) as refused:
        lifecycle.proposal_submit(proposal=third, by=officer_a)
    assert "batas" in refused.value.messages[0]
    assert _status(third) == S.DRAFT


def test_resubmitting_after_revision_is_not_blocked_by_the_cap(world, cycle, officer_a, place):
    Cycle.objects.filter(pk=cycle.pk).update(max_per_board=1)
    proposal = place(factories.ProposalFactory(board=world["board_a"], cycle=cycle), S.REVISION_REQUESTED)
    lifecycle.proposal_submit(proposal=proposal, by=officer_a)
    assert _status(proposal) == S.SUBMITTED


def test_a_proposal_without_budget_lines_cannot_be_submitted(world, cycle, officer_a):
    proposal = factories.ProposalFactory(board=world["board_a"], cycle=cycle, lines=[])
    with pytest.raises(ValidationError):
        lifecycle.proposal_submit(proposal=proposal, by=officer_a)


# --- money ----------------------------------------------------------------------------------


def test_budget_is_computed_on_the_server(world, cycle, officer_a):
    proposal = lifecycle.proposal_create(
        board=world["board_a"], cycle=cycle, by=officer_a, category=factories.ProposalFactory.category.function(),
        title="Bank sampah", background="b", goals="g", location="Jl. Mawar", beneficiary_count=10,
        start_month=datetime.date(2027, 2, 1), end_month=datetime.date(2027, 3, 1), priority=1,
        budget_lines=[
            {"item": "Tong sampah", "volume": "2.5", "unit": "unit", "unit_cost": 301},
            {"item": "Timbangan", "volume": 1, "unit": "unit", "unit_cost": 1_250_000},
        ],
    )
    lines = list(proposal.budget_lines.values_list("subtotal", flat=True))
    assert lines == [753, 1_250_000]  # 2.5 x 301 = 752.5, rounded half up
    assert proposal.total_requested == 1_250_753


def test_approved_budget_never_above_requested(draft_a, place, staff):
    place(draft_a, S.UNDER_REVIEW)
    with pytest.raises(ValidationError) as refused:
        lifecycle.proposal_approve(proposal=draft_a, by=staff, approved_budget=draft_a.total_requested + 1)
    assert "approved_budget" in refused.value.message_dict
    draft_a.refresh_from_db()
    assert (draft_a.status, draft_a.approved_budget) == (S.UNDER_REVIEW, None)


def test_end_month_before_start_is_refused(world, cycle, officer_a):
    with pytest.raises(ValidationError) as refused:
        lifecycle.proposal_create(
            board=world["board_a"], cycle=cycle, by=officer_a, category=factories.ProposalFactory.category.function(),
            title="x", background="b", goals="g", location="l", beneficiary_count=1, priority=1,
            start_month=datetime.date(2027, 5, 1), end_month=datetime.date(2027, 3, 1),
            budget_lines=[{"item": "a", "volume": 1, "unit": "u", "unit_cost": 1}],
        )
    assert "end_month" in refused.value.message_dict
    assert not Proposal.objects.exists()


# --- decisions held for a cycle ----------------------------------------------------------------


def test_held_decisions_reach_the_board_only_when_published(draft_a, place, officer_a, staff):
    Cycle.objects.filter(pk=draft_a.cycle_id).update(publication=Cycle.Publication.TOGETHER)
    place(draft_a, S.UNDER_REVIEW)
    draft_a.refresh_from_db()
    lifecycle.proposal_approve(proposal=draft_a, by=staff, approved_budget=1_000_000)
    draft_a.refresh_from_db()
    assert draft_a.decision_published_at is None
    assert draft_a.status_for_board() == S.UNDER_REVIEW
    assert not Notification.objects.filter(user=officer_a).exists()
    # The board cannot start work on a decision it has not been told about.
    with pytest.raises(ValidationError):
        lifecycle.progress_add(proposal=draft_a, by=officer_a, report_date=timezone.localdate(), percent=5,
                               narrative="x", spent=0)

    assert lifecycle.cycle_publish_decisions(cycle=draft_a.cycle, by=staff) == 1
    draft_a.refresh_from_db()
    assert draft_a.decision_published_at is not None
    assert draft_a.status_for_board() == S.APPROVED
    assert Notification.objects.filter(user=officer_a, text__contains="Disetujui").count() == 1


def test_only_staff_publish_decisions(cycle, officer_a):
    with pytest.raises(PermissionDenied):
        lifecycle.cycle_publish_decisions(cycle=cycle, by=officer_a)


# --- notices -----------------------------------------------------------------------------------


@pytest.fixture
def sent_by_worker(settings, monkeypatch):
    """What the worker does once the transaction commits: the task, run here."""
    from programs import tasks

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(tasks.send_notices, "delay", lambda ids: tasks.send_notices(ids))


def test_submission_notifies_staff_and_decision_notifies_the_board(draft_a, officer_a, member_a, staff,
                                                                   django_capture_on_commit_callbacks,
                                                                   sent_by_worker):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.proposal_submit(proposal=draft_a, by=officer_a)
    assert list(Notification.objects.values_list("user", flat=True)) == [staff.pk]
    assert [m.to for m in mail.outbox] == [[staff.email]]
    assert Notice.objects.get().status == Notice.Status.SENT

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.proposal_start_review(proposal=draft_a, by=staff)
    # Both pengurus hear about it; the actor never notifies themself.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([officer_a.email, member_a.email])
    message = mail.outbox[0]
    assert "Sedang ditinjau" in message.subject
    assert f"/usulan/{draft_a.pk}/" in message.body
    assert message.alternatives and "text/html" in message.alternatives[0][1]


def test_notice_in_english_for_a_user_who_chose_english(draft_a, officer_a, staff,
                                                        django_capture_on_commit_callbacks, sent_by_worker):
    officer_a.person.language = "en"
    officer_a.person.save()
    lifecycle.proposal_submit(proposal=draft_a, by=officer_a)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.proposal_start_review(proposal=draft_a, by=staff)
    assert "Under review" in mail.outbox[0].subject


def test_a_failed_send_is_retried_and_a_permanent_one_is_failed(draft_a, officer_a, staff, settings,
                                                                monkeypatch):
    import smtplib

    lifecycle.proposal_submit(proposal=draft_a, by=officer_a)
    row = Notice.objects.get()

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({row.email: (451, b"try later")})

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    ids = notices.notices_claim()
    assert ids == [row.pk]
    notices.notices_send(ids=ids)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notice.Status.SCHEDULED, 1)
    assert row.due_at > timezone.now()

    def unknown(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({row.email: (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.EmailMessage.send", unknown)
    ids = notices.notices_claim(now=row.due_at)
    notices.notices_send(ids=ids)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notice.Status.FAILED, 2)
    assert "550" in row.last_error


def test_a_claimed_row_is_not_claimed_twice(draft_a, officer_a, staff):
    lifecycle.proposal_submit(proposal=draft_a, by=officer_a)
    assert len(notices.notices_claim()) == 1
    assert notices.notices_claim() == []


def test_the_scan_sends_what_a_lost_task_left(draft_a, officer_a, staff, settings):
    from programs import tasks

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    lifecycle.proposal_submit(proposal=draft_a, by=officer_a)  # its task never ran
    stuck = Notice.objects.get()
    Notice.objects.filter(pk=stuck.pk).update(status=Notice.Status.SENDING,
                                              claimed_at=timezone.now() - datetime.timedelta(hours=1))
    assert tasks.dispatch_notices() == 1
    assert [m.to for m in mail.outbox] == [[staff.email]]
    assert Notice.objects.get().status == Notice.Status.SENT


# --- comments, recommendation, carry-over -------------------------------------------------------------


def test_comments_between_board_and_staff(draft_a, place, officer_a, staff, officer_b):
    place(draft_a, S.UNDER_REVIEW)
    lifecycle.comment_add(proposal=draft_a, by=staff, text="Mohon lampirkan foto lokasi.")
    lifecycle.comment_add(proposal=draft_a, by=officer_a, text="Sudah kami lampirkan.")
    assert list(draft_a.events.filter(kind="comment").values_list("note", flat=True)) == [
        "Mohon lampirkan foto lokasi.", "Sudah kami lampirkan."]
    assert Notification.objects.filter(user=officer_a, text__contains="Komentar").exists()
    assert Notification.objects.filter(user=staff, text__contains="Komentar").exists()
    with pytest.raises(PermissionDenied):
        lifecycle.comment_add(proposal=draft_a, by=officer_b, text="Bukan urusan saya.")


def test_forum_recommends_its_kecamatan_while_under_review(world, draft_a, place, coordinator_a, staff):
    place(draft_a, S.SUBMITTED)
    recommendation = lifecycle.recommendation_save(proposal=draft_a, by=coordinator_a, recommends=True,
                                                   note="Sangat dibutuhkan warga.")
    assert recommendation.forum == world["forum_a"]
    assert Notification.objects.filter(user=staff, text__contains="Rekomendasi").exists()
    place(draft_a, S.APPROVED)
    with pytest.raises(ValidationError):
        lifecycle.recommendation_save(proposal=draft_a, by=coordinator_a, recommends=False)


def test_a_held_decision_does_not_close_the_forums_recommendation(draft_a, place, coordinator_a, staff):
    """Refusing the Forum there would tell it a decision exists before it is published."""
    Cycle.objects.filter(pk=draft_a.cycle_id).update(publication=Cycle.Publication.TOGETHER)
    place(draft_a, S.UNDER_REVIEW)
    draft_a.refresh_from_db()
    lifecycle.proposal_reject(proposal=draft_a, by=staff, reason="Di luar prioritas.")
    recommendation = lifecycle.recommendation_save(proposal=draft_a, by=coordinator_a, recommends=True)
    assert recommendation.recommends
    lifecycle.cycle_publish_decisions(cycle=draft_a.cycle, by=staff)
    draft_a.refresh_from_db()
    with pytest.raises(ValidationError):
        lifecycle.recommendation_save(proposal=draft_a, by=coordinator_a, recommends=False)


def test_forum_of_another_kecamatan_cannot_recommend(world, place, cycle):
    proposal = place(factories.ProposalFactory(board=world["board_b"], cycle=cycle), S.SUBMITTED)
    coordinator = factories.UserFactory(username="forum.x@example.org")
    person = factories.PersonFactory(user=coordinator)
    factories.MembershipFactory(person=person, board=world["forum_a"], position="ketua")
    with pytest.raises(PermissionDenied):
        lifecycle.recommendation_save(proposal=proposal, by=coordinator, recommends=True)


def test_rejected_proposal_carried_into_the_next_cycle(draft_a, place, officer_a):
    place(draft_a, S.REJECTED)
    later = factories.CycleFactory(opens_on=timezone.localdate() + datetime.timedelta(days=60),
                                   closes_on=timezone.localdate() + datetime.timedelta(days=90))
    assert list(lifecycle.next_cycles(draft_a)) == [later]
    copy = lifecycle.proposal_carry_over(proposal=draft_a, by=officer_a, cycle=later)
    assert (copy.status, copy.cycle, copy.carried_from) == (S.DRAFT, later, draft_a)
    assert copy.title == draft_a.title
    assert copy.total_requested == draft_a.total_requested
    assert list(copy.budget_lines.values_list("item", "subtotal")) == list(
        draft_a.budget_lines.values_list("item", "subtotal"))
    assert draft_a.events.filter(note__contains=later.name).exists()
    draft_a.refresh_from_db()
    with pytest.raises(ValidationError):  # only once
        lifecycle.proposal_carry_over(proposal=draft_a, by=officer_a, cycle=later)


def test_undecided_proposal_carried_only_after_its_cycle_closed(draft_a, place, officer_a):
    place(draft_a, S.SUBMITTED)
    later = factories.CycleFactory(opens_on=timezone.localdate() + datetime.timedelta(days=60),
                                   closes_on=timezone.localdate() + datetime.timedelta(days=90))
    with pytest.raises(ValidationError):
        lifecycle.proposal_carry_over(proposal=draft_a, by=officer_a, cycle=later)
    Cycle.objects.filter(pk=draft_a.cycle_id).update(closes_on=timezone.localdate() - datetime.timedelta(days=1))
    draft_a.refresh_from_db()
    assert lifecycle.proposal_carry_over(proposal=draft_a, by=officer_a, cycle=later).carried_from == draft_a


def test_progress_never_goes_back(draft_a, place, officer_a):
    place(draft_a, S.IN_PROGRESS, progress_percent=60)
    with pytest.raises(ValidationError) as refused:
        lifecycle.progress_add(proposal=draft_a, by=officer_a, report_date=timezone.localdate(), percent=50,
                               narrative="x", spent=0)
    assert "percent" in refused.value.message_dict
    assert not draft_a.progress_reports.exists()


def test_allowed_actions_match_the_rules(draft_a, officer_a, member_a, staff):
    from organizations.access import access_for

    assert lifecycle.allowed_actions(access_for(officer_a), draft_a) == {"submit", "withdraw"}
    assert lifecycle.allowed_actions(access_for(member_a), draft_a) == set()
    assert lifecycle.allowed_actions(access_for(staff), draft_a) == set()

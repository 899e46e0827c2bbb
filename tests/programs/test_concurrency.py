"""Two staff pressing "approve" at the same moment give one transition (brief §7), on PostgreSQL."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from organizations.access import access_for
from programs import lifecycle
from programs.models import Proposal, ProposalEvent
from tests.factories import ProposalFactory, UserFactory

S = Proposal.Status

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite locks the file)"),
]


# serialized_rollback: the flush after a transactional test would otherwise drop the seeded fields (bidang).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_approvals_make_one_transition(world, cycle, monkeypatch):
    # The notice task is enqueued after commit; there is no broker to take it here.
    monkeypatch.setattr("programs.tasks.send_notices.delay", lambda ids: None)
    proposal = ProposalFactory(board=world["board_a"], cycle=cycle)
    Proposal.objects.filter(pk=proposal.pk).update(status=S.UNDER_REVIEW)
    reviewers = [UserFactory(username=f"staf{n}@example.org", staff_office=True) for n in (1, 2)]
    for reviewer in reviewers:
        access_for(reviewer)  # computed before the race, so both threads only race on the proposal
    barrier = threading.Barrier(len(reviewers))
    outcomes = {}

    def approve(reviewer, amount):
        try:
            barrier.wait(timeout=10)
            lifecycle.proposal_approve(proposal=Proposal.objects.get(pk=proposal.pk), by=reviewer,
                                       approved_budget=amount, note=f"oleh {reviewer.username}")
            outcomes[reviewer.pk] = "approved"
        except ValidationError as error:
            outcomes[reviewer.pk] = error
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcomes[reviewer.pk] = repr(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(reviewer, amount))
               for reviewer, amount in zip(reviewers, (1_000_000, 900_000), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(map(str, outcomes.values())).count("approved") == 1, outcomes
    [refusal] = [value for value in outcomes.values() if value != "approved"]
    assert isinstance(refusal, ValidationError), refusal
    assert refusal.messages == ['Usulan ini berstatus "Disetujui"; langkah itu tidak dapat dilakukan sekarang.']
    events = ProposalEvent.objects.filter(proposal=proposal, kind=ProposalEvent.Kind.TRANSITION, to_status=S.APPROVED)
    assert events.count() == 1
    [winner] = [pk for pk, value in outcomes.items() if value == "approved"]
    proposal.refresh_from_db()
    assert proposal.status == S.APPROVED
    assert proposal.decided_by_id == winner == events.get().actor_id
    assert proposal.approved_budget == {reviewers[0].pk: 1_000_000, reviewers[1].pk: 900_000}[winner]

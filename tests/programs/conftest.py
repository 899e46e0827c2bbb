import pytest

from tests import factories


@pytest.fixture
def cycle(db):
    return factories.CycleFactory(name="Usulan Program 2027", year=2027)


@pytest.fixture
def draft_a(world, cycle, officer_a):
    """A draft of LPM A (whose Ketua is ``officer_a``) in the open cycle."""
    return factories.ProposalFactory(board=world["board_a"], cycle=cycle, created_by=officer_a)


@pytest.fixture
def place():
    """Put a proposal in a state directly (the lifecycle tests walk the real transitions)."""
    from django.utils import timezone

    def place(proposal, status, **fields):
        proposal.status = status
        if status in ("approved", "rejected"):
            fields.setdefault("decided_at", timezone.now())
            fields.setdefault("decision_published_at", timezone.now())
        if status == "approved":
            fields.setdefault("approved_budget", proposal.total_requested)
        for name, value in fields.items():
            setattr(proposal, name, value)
        proposal.save()
        return proposal

    return place

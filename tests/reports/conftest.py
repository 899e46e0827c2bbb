"""Fixtures for the dashboard, the recap and the exports: data made for each number checked."""

import datetime

import pytest
from django.utils import timezone

from meetings.models import Invitation, Meeting
from tests import factories

HADIR = Invitation.Attendance.PRESENT
TIDAK_HADIR = Invitation.Attendance.ABSENT


@pytest.fixture
def cycle(db):
    return factories.CycleFactory(name="Usulan Program 2027", year=2027)


@pytest.fixture
def place():
    """Put a proposal in a state directly (the lifecycle's own tests walk the real transitions)."""

    def place(proposal, status, **fields):
        proposal.status = status
        if status in ("approved", "rejected", "in_progress", "completed", "evaluated"):
            fields.setdefault("decided_at", timezone.now())
            fields.setdefault("decision_published_at", timezone.now())
        if status in ("approved", "in_progress", "completed", "evaluated"):
            fields.setdefault("approved_budget", proposal.total_requested)
        for name, value in fields.items():
            setattr(proposal, name, value)
        proposal.save()
        return proposal

    return place


@pytest.fixture
def proposal(cycle, place):
    """``proposal(board, status, lines=[...], **fields)``: a proposal of ``board`` in the cycle, placed in a state."""

    def make(board, status="submitted", *, lines=None, cycle_=None, **fields):
        kwargs = {"board": board, "cycle": cycle_ or cycle}
        if lines is not None:
            kwargs["lines"] = lines
        for name in ("title", "category", "is_physical"):
            if name in fields:
                kwargs[name] = fields.pop(name)
        return place(factories.ProposalFactory(**kwargs), status, **fields)

    return make


@pytest.fixture
def held_meeting(staff):
    """``held_meeting(days_ago, {board: attendance, ...})``: a past meeting whose sheet was filled in."""

    def make(days_ago, attendance, *, title=None):
        start = timezone.now() - datetime.timedelta(days=days_ago)
        meeting = factories.MeetingFactory(
            organiser=staff, start=start, end=start + datetime.timedelta(hours=2), status=Meeting.Status.HELD,
            **({"title": title} if title else {}),
        )
        for board, mark in attendance.items():
            factories.InvitationFactory(meeting=meeting, board=board, board_name=board.name, attendance=mark)
        return meeting

    return make

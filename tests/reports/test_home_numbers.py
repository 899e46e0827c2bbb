"""An officer's home page shows their own board's numbers, as the board may know them."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import FollowUp
from organizations.access import access_for
from organizations.models import Person
from reports.selectors import board_numbers
from tests import factories

from .conftest import HADIR, TIDAK_HADIR


def numbers(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response, {n.board.name: n for n in response.context["board_numbers"]}


def test_an_officer_sees_their_boards_numbers_and_not_anothers(client, officer_a, member_a, officer_b, world, proposal,
                                                              held_meeting):
    a, b = world["board_a"], world["board_b"]
    factories.MembershipFactory(board=a, person=factories.PersonFactory(gender=Person.Gender.MALE))
    proposal(a, "submitted")
    proposal(a, "revision_requested")
    proposal(a, "in_progress", lines=[("Bibit", 10, "batang", 100_000)], progress_percent=30, spent=400_000)
    proposal(a, "draft")
    # Decided but not published: still "awaiting" for the board, and its budget is not shown.
    proposal(a, "approved", lines=[("Tenda", 1, "unit", 9_000_000)], decision_published_at=None)
    proposal(b, "approved")
    held_meeting(20, {a: HADIR, b: TIDAK_HADIR})
    held_meeting(10, {a: TIDAK_HADIR})
    meeting = held_meeting(40, {})
    today = timezone.localdate()
    for board, description, days in [(a, "Laporan", -1), (a, "Daftar", 9), (b, "Lain", -9)]:
        FollowUp.objects.create(meeting=meeting, board=board, description=description,
                                due_date=today + datetime.timedelta(days=days))

    response, by_board = numbers(client, officer_a)
    assert list(by_board) == ["LPM Kelurahan A1"]
    n = by_board["LPM Kelurahan A1"]
    # Siti (P, Ketua), Budi (member_a, factory default P), and one man.
    assert (n.pengurus, n.women, n.women_share) == (3, 2, 66.7)
    assert (n.proposals, n.awaiting, n.revision, n.approved, n.in_progress) == (4, 2, 1, 1, 1)
    assert (n.approved_budget, n.realised) == (1_000_000, 400_000)
    assert (n.attendance.invited, n.attendance.present, n.attendance.rate) == (2, 1, 50)
    assert (n.follow_ups_open, n.follow_ups_overdue) == (2, 1)
    body = response.content.decode()
    assert "Angka LPM Kelurahan A1" in body and "Rp1.000.000" in body and "Rp9.000.000" not in body
    assert "LPM Kelurahan B1" not in body


def test_staff_get_no_board_numbers_on_home(client, staff):
    client.force_login(staff)
    assert not client.get(reverse("home")).context.get("board_numbers")


@pytest.mark.parametrize("boards", [1, 3])
def test_the_numbers_cost_the_same_for_one_board_or_several(world, boards, django_assert_num_queries):
    """Prevents a query per board: boards, pengurus, proposals, follow-ups and attendance are read once each."""
    user = factories.UserFactory()
    person = factories.PersonFactory(user=user)
    for key in ["board_a", "forum_a", "forum_b"][:boards]:
        factories.MembershipFactory(board=world[key], person=person, position="anggota")
    access = access_for(user)
    with django_assert_num_queries(5):
        result = board_numbers(access)
    assert len(result) == boards

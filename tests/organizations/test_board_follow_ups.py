"""A board's page lists its open follow-ups (tindak lanjut) from meetings, and only its own."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import FollowUp, Meeting
from meetings.selectors import open_follow_ups_for_board
from tests.factories import MeetingFactory


def board_url(board):
    return reverse("organizations:board_detail", args=[board.pk])


@pytest.fixture
def follow_ups(staff, world):
    """For LPM A: one open and overdue, one open, one done, one of a cancelled meeting; one for LPM B."""
    today = timezone.localdate()
    meeting = MeetingFactory(organiser=staff, title="Rakor Pembinaan Kelurahan")
    cancelled = MeetingFactory(organiser=staff, title="Rapat yang batal", status=Meeting.Status.CANCELLED)

    def add(board, description, days, status=FollowUp.Status.OPEN, on=meeting):
        return FollowUp.objects.create(meeting=on, board=board, description=description, status=status,
                                       due_date=today + datetime.timedelta(days=days))

    return {
        "overdue": add(world["board_a"], "Serahkan laporan posyandu", -3),
        "open": add(world["board_a"], "Kumpulkan usulan RT/RW", 14),
        "done": add(world["board_a"], "Perbarui data pengurus", 2, FollowUp.Status.DONE),
        "cancelled": add(world["board_a"], "Tugas dari rapat batal", 5, on=cancelled),
        "other": add(world["board_b"], "Tugas LPM B", 7),
    }


def test_the_board_page_shows_its_open_follow_ups_only(client, officer_a, board_a, follow_ups):
    client.force_login(officer_a)
    response = client.get(board_url(board_a))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Tindak lanjut rapat yang belum selesai" in body
    assert "Serahkan laporan posyandu" in body and "Kumpulkan usulan RT/RW" in body
    assert "Dari rapat: Rakor Pembinaan Kelurahan" in body
    assert "lewat tenggat" in body
    for hidden in ["Perbarui data pengurus", "Tugas dari rapat batal", "Tugas LPM B"]:
        assert hidden not in body
    # Soonest due first.
    assert body.index("Serahkan laporan posyandu") < body.index("Kumpulkan usulan RT/RW")


def test_another_board_sees_only_its_own(client, officer_b, board_b, board_a, follow_ups):
    client.force_login(officer_b)
    body = client.get(board_url(board_b)).content.decode()
    assert "Tugas LPM B" in body and "Serahkan laporan posyandu" not in body
    assert client.get(board_url(board_a)).status_code == 404


def test_staff_and_the_coordinator_see_the_board_follow_ups(client, staff, coordinator_a, board_a, follow_ups):
    for user in [staff, coordinator_a]:
        client.force_login(user)
        assert "Kumpulkan usulan RT/RW" in client.get(board_url(board_a)).content.decode()


def test_a_board_without_follow_ups_says_so(client, officer_a, board_a):
    client.force_login(officer_a)
    assert "Tidak ada tindak lanjut yang belum selesai." in client.get(board_url(board_a)).content.decode()


def test_follow_up_text_is_escaped_on_the_board_page(client, officer_a, board_a, staff):
    FollowUp.objects.create(meeting=MeetingFactory(organiser=staff), board=board_a,
                            description="<script>alert(1)</script>", due_date=timezone.localdate())
    client.force_login(officer_a)
    body = client.get(board_url(board_a)).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_the_selector_is_one_query_and_flags_overdue(board_a, follow_ups, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = open_follow_ups_for_board(board_a)
        assert [(f.description, f.is_overdue, f.meeting.title) for f in rows] == [
            ("Serahkan laporan posyandu", True, "Rakor Pembinaan Kelurahan"),
            ("Kumpulkan usulan RT/RW", False, "Rakor Pembinaan Kelurahan"),
        ]

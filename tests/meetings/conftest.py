import pytest

from tests.factories import InvitationFactory, MeetingFactory


@pytest.fixture
def meeting(staff):
    """A Rakor a week from now, organised by staff."""
    return MeetingFactory(organiser=staff, title="Rakor LPM Triwulan IV")


@pytest.fixture
def invitation_a(meeting, officer_a, board_a):
    """officer_a (Ketua of LPM A) is invited to ``meeting``; officer_b is not."""
    return InvitationFactory(meeting=meeting, person=officer_a.person, board=board_a, board_name=board_a.name,
                             kecamatan_name="Kecamatan A")

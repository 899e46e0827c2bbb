"""Demo meetings for `manage.py seed_demo`, so a newcomer's calendar is not empty.

The coming Rakor goes through the services like any meeting (its invitees
get their notices from the worker, printed to the console by default); the
past pembinaan is history, written directly, with its minutes and a follow-up.
"""

import datetime

from django.utils import timezone

from organizations.models import Board, Region

from . import services
from .models import Invitation, InvitationScope, Meeting, Minutes

UPCOMING_TITLE = "Rakor LPM Kecamatan Balikpapan Timur"
PAST_TITLE = "Pembinaan Pengurus LPM se-Kota Balikpapan"


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def demo_meetings(*, organiser, today=None) -> int:
    """Create the demo meetings that do not exist yet; returns how many were created."""
    today = today or timezone.localdate()
    created = 0
    timur = Region.objects.filter(code="64.71.01").first()
    if timur and not Meeting.objects.filter(title=UPCOMING_TITLE).exists():
        meeting = services.meeting_create(
            by=organiser, kind=Meeting.Kind.RAKOR, title=UPCOMING_TITLE,
            start=_at(today + datetime.timedelta(days=7), 9), end=_at(today + datetime.timedelta(days=7), 12),
            venue="Aula Kantor Kecamatan Balikpapan Timur", online_url="",
            description="Sinkronisasi program LPM kelurahan untuk tahun depan.",
            agenda=[{"title": "Pembukaan oleh Camat"}, {"title": "Paparan program DP3AKB"},
                    {"title": "Usulan prioritas tiap kelurahan"}, {"title": "Kesepakatan dan penutup"}],
        )
        services.invitations_add_scope(meeting=meeting, reach=InvitationScope.Reach.KECAMATAN,
                                       positions=InvitationScope.Positions.CORE, kecamatan=[timur])
        created += 1
    if not Meeting.objects.filter(title=PAST_TITLE).exists():
        day = today - datetime.timedelta(days=30)
        meeting = Meeting.objects.create(
            organiser=organiser, kind=Meeting.Kind.PEMBINAAN, title=PAST_TITLE, start=_at(day, 9),
            end=_at(day, 13), venue="Aula DP3AKB Kota Balikpapan", status=Meeting.Status.HELD,
        )
        invitations = []
        for board in Board.objects.filter(kind=Board.Kind.LPM).select_related("region__parent")[:12]:
            ketua = board.memberships.active(day).filter(position="ketua").select_related("person").first()
            if ketua:
                invitations.append(services.invitation_from_membership(meeting, ketua))
        for index, invitation in enumerate(invitations):
            invitation.rsvp = Invitation.Rsvp.ACCEPTED if index % 4 else Invitation.Rsvp.DECLINED
            invitation.attendance = (Invitation.Attendance.PRESENT if index % 4 else Invitation.Attendance.EXCUSED)
        Invitation.objects.bulk_create(invitations)
        Minutes.objects.create(
            meeting=meeting, written_by=organiser,
            summary="Pembinaan tentang tata kelola LPM dan penyusunan usulan program berbasis data kelurahan.",
            decisions="Setiap LPM menyerahkan daftar pengurus terbaru.\nUsulan program dikumpulkan sebelum Musrenbang.",
        )
        first_board = Board.objects.filter(kind=Board.Kind.LPM).order_by("region__code").first()
        if first_board:
            services.follow_up_add(meeting=meeting, description="Serahkan daftar pengurus terbaru ke DP3AKB.",
                                   board=first_board, due_date=today + datetime.timedelta(days=10))
        created += 1
    return created

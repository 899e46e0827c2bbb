"""Writes for meetings: scheduling, changes, invitations, RSVP, attendance, minutes."""

import datetime
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from organizations.models import Board
from portal.lib.uploads import clean_filename, validate_upload

from . import reminders
from .models import (
    AgendaItem,
    CalendarFeed,
    FollowUp,
    Invitation,
    InvitationScope,
    Material,
    Meeting,
    MeetingChange,
    Minutes,
    Reminder,
    new_token,
)
from .selectors import scope_memberships

MAX_MEETING_LENGTH = datetime.timedelta(hours=24)
ONLINE_URL_SCHEMES = ("http", "https")


# --- scheduling -------------------------------------------------------------------


def meeting_validate(*, start, end, is_new, now=None, venue=None, online_url=None):
    """The rules of a meeting's time and place, as {field: message}.

    ``venue`` and ``online_url`` are checked only when given (None skips them),
    so callers that change only the time need not pass them.
    """
    errors = {}
    now = now or timezone.now()
    if start and end:
        if end <= start:
            errors["end"] = _("Waktu selesai harus sesudah waktu mulai.")
        elif end - start > MAX_MEETING_LENGTH:
            errors["end"] = _("Rapat tidak boleh lebih dari satu hari (24 jam).")
    if is_new and start and start < now:
        errors["start"] = _("Waktu mulai sudah lewat; pilih waktu yang akan datang.")
    if online_url and urlsplit(online_url).scheme.lower() not in ONLINE_URL_SCHEMES:
        # A javascript: or ftp: link would end up as a clickable link in e-mails and calendars.
        errors["online_url"] = _("Tautan rapat daring harus diawali http:// atau https://.")
    if venue is not None and online_url is not None and not venue.strip() and not online_url.strip():
        errors["venue"] = _("Isi tempat rapat, tautan rapat daring, atau keduanya.")
    return errors


@transaction.atomic
def meeting_create(*, by, agenda=(), **fields) -> Meeting:
    errors = meeting_validate(
        start=fields.get("start"), end=fields.get("end"), is_new=True,
        venue=fields.get("venue", ""), online_url=fields.get("online_url", ""),
    )
    if errors:
        raise ValidationError(errors)
    meeting = Meeting(organiser=by, **fields)
    meeting.full_clean()
    meeting.save()
    agenda_replace(meeting=meeting, items=agenda)
    reminders.reminders_plan(meeting=meeting)
    return meeting


def agenda_replace(*, meeting, items):
    """Replace the agenda with ``items`` (dicts with title, presenter, duration_minutes), in order."""
    meeting.agenda_items.all().delete()
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, order=index, **{k: v for k, v in item.items() if k in
                                                    ("title", "presenter", "duration_minutes")})
        for index, item in enumerate(items)
        if item.get("title")
    )


def _as_text(value):
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat()
    return "" if value is None else str(value)


@transaction.atomic
def meeting_update(*, meeting: Meeting, by, agenda=None, **fields) -> Meeting:
    """Apply changes; a change invitees must hear about raises the sequence and is logged."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise ValidationError(_("Rapat yang sudah dibatalkan atau terlaksana tidak dapat diubah."))
    errors = meeting_validate(
        start=fields.get("start", meeting.start), end=fields.get("end", meeting.end), is_new=False,
        venue=fields.get("venue", meeting.venue), online_url=fields.get("online_url", meeting.online_url),
    )
    if errors:
        raise ValidationError(errors)
    notifiable = {}
    for name, value in fields.items():
        old = getattr(meeting, name)
        if old != value and name in Meeting.NOTIFIABLE_FIELDS:
            notifiable[name] = [_as_text(old), _as_text(value)]
        setattr(meeting, name, value)
    if notifiable:
        meeting.sequence += 1
    meeting.full_clean()
    meeting.save()
    if notifiable:
        MeetingChange.objects.create(meeting=meeting, changed_by=by, sequence=meeting.sequence, changes=notifiable)
        reminders.notices_enqueue(meeting=meeting, kind=Reminder.Kind.CHANGE)
    if agenda is not None:
        agenda_replace(meeting=meeting, items=agenda)
    # Moving the meeting or changing its slots reschedules the unsent reminders.
    reminders.reminders_plan(meeting=meeting)
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by, reason: str) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if not reason.strip():
        raise ValidationError({"reason": _("Tuliskan alasan pembatalan.")})
    if meeting.status != Meeting.Status.SCHEDULED:
        raise ValidationError(_("Hanya rapat yang masih terjadwal yang dapat dibatalkan."))
    meeting.status = Meeting.Status.CANCELLED
    meeting.cancel_reason = reason.strip()
    meeting.sequence += 1
    meeting.save(update_fields=["status", "cancel_reason", "sequence", "updated_at"])
    MeetingChange.objects.create(
        meeting=meeting, changed_by=by, sequence=meeting.sequence,
        changes={"status": [Meeting.Status.SCHEDULED, Meeting.Status.CANCELLED]}, note=meeting.cancel_reason,
    )
    reminders.notices_enqueue(meeting=meeting, kind=Reminder.Kind.CANCELLATION)
    reminders.reminders_plan(meeting=meeting)
    return meeting


@transaction.atomic
def meeting_mark_held(*, meeting: Meeting, by, now=None) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise ValidationError(_("Hanya rapat yang masih terjadwal yang dapat ditandai terlaksana."))
    if (now or timezone.now()) < meeting.start:
        raise ValidationError(_("Rapat belum dimulai; tandai terlaksana setelah waktunya."))
    meeting.status = Meeting.Status.HELD
    meeting.save(update_fields=["status", "updated_at"])
    return meeting


@transaction.atomic
def meeting_copy(*, meeting: Meeting, by, start, end) -> Meeting:
    """A new meeting with the same agenda, scopes, guests and venue on a new date."""
    copy = meeting_create(
        by=by, kind=meeting.kind, title=meeting.title, start=start, end=end, venue=meeting.venue,
        online_url=meeting.online_url, description=meeting.description,
        reminder_slots=list(meeting.reminder_slots or []), reminder_note=meeting.reminder_note,
        agenda=[{"title": a.title, "presenter": a.presenter, "duration_minutes": a.duration_minutes}
                for a in meeting.agenda_items.all()],
    )
    for scope in meeting.scopes.prefetch_related("kecamatan", "boards"):
        invitations_add_scope(
            meeting=copy, reach=scope.reach, positions=scope.positions,
            kecamatan=list(scope.kecamatan.all()), boards=list(scope.boards.all()),
        )
    for guest in meeting.invitations.filter(is_guest=True):
        invitation_add_guest(meeting=copy, name=guest.name, email=guest.email, position=guest.position,
                             board_name=guest.board_name)
    return copy


# --- materials ---------------------------------------------------------------------


def material_add(*, meeting: Meeting, upload, by, title="") -> Material:
    """Attach a file after checking its size and its type by content (never by name)."""
    if meeting.status == Meeting.Status.CANCELLED:
        raise ValidationError(_("Rapat ini dibatalkan; bahan rapat tidak dapat ditambahkan."))
    try:
        kind = validate_upload(upload)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error
    filename = clean_filename(upload.name, kind)
    title = " ".join((title or "").split()) or filename.rsplit(".", 1)[0].replace("_", " ")
    material = Material(meeting=meeting, title=title[:200], content_type=kind.content_type, size=upload.size,
                        uploaded_by=by)
    material.file.save(filename, upload, save=False)
    # A row that fails to save must not leave its file behind on disk.
    try:
        material.save()
    except Exception:
        material.file.delete(save=False)
        raise
    return material


# --- invitations -------------------------------------------------------------------


def _kecamatan_of(board):
    if board.kind == Board.Kind.FORUM:
        return board.region.name
    if board.kind == Board.Kind.LPM and board.region.parent:
        return board.region.parent.name
    return ""


def invitation_from_membership(meeting, membership):
    person, board = membership.person, membership.board
    # The snapshot goes into letters and lists: always in the portal's language,
    # whatever language the staff member inviting happens to use.
    with translation.override(settings.LANGUAGE_CODE):
        position = str(membership.get_position_display())
    return Invitation(
        meeting=meeting, person=person, board=board, name=person.name, email=person.email,
        board_name=board.name, position=position, kecamatan_name=_kecamatan_of(board),
    )


@dataclass
class InviteResult:
    reached: int
    added: int


@transaction.atomic
def invitations_add_scope(*, meeting, reach, positions, kecamatan=(), boards=(), on=None) -> InviteResult:
    """Invite everyone a scope reaches; people already invited are left as they are."""
    if meeting.status != Meeting.Status.SCHEDULED:
        raise ValidationError(_("Undangan hanya dapat ditambahkan pada rapat yang masih terjadwal."))
    memberships = scope_memberships(reach=reach, positions=positions, kecamatan=kecamatan, boards=boards, on=on)
    scope = InvitationScope.objects.create(meeting=meeting, reach=reach, positions=positions)
    scope.kecamatan.set(kecamatan)
    scope.boards.set(boards)
    already = set(meeting.invitations.filter(person__isnull=False).values_list("person_id", flat=True))
    new = [invitation_from_membership(meeting, m) for m in memberships if m.person_id not in already]
    # ignore_conflicts: a concurrent invite of the same person must not fail the whole scope.
    Invitation.objects.bulk_create(new, ignore_conflicts=True)
    _invited(meeting, meeting.invitations.filter(person_id__in=[i.person_id for i in new]))
    return InviteResult(reached=len(memberships), added=len(new))


def _invited(meeting, invitations):
    """New invitees hear about the meeting now and get its reminders later."""
    invitations = list(invitations)
    reminders.notices_enqueue(meeting=meeting, kind=Reminder.Kind.INVITATION, invitations=invitations)
    reminders.reminders_plan(meeting=meeting, invitations=invitations)


def invitation_add_guest(*, meeting, name, email, position="", board_name="") -> Invitation:
    if meeting.status != Meeting.Status.SCHEDULED:
        raise ValidationError(_("Undangan hanya dapat ditambahkan pada rapat yang masih terjadwal."))
    name, email = " ".join(name.split()), email.strip().lower()
    if not name:
        raise ValidationError({"name": _("Nama tamu wajib diisi.")})
    existing = meeting.invitations.filter(person__isnull=True, email__iexact=email).first() if email else None
    if existing:
        return existing
    invitation = Invitation(meeting=meeting, name=name, email=email, position=position, board_name=board_name,
                            is_guest=True)
    invitation.full_clean(exclude=["token"])
    invitation.save()
    _invited(meeting, [invitation])
    return invitation


# --- RSVP ------------------------------------------------------------------------------


@transaction.atomic
def invitation_answer(*, invitation: Invitation, answer: str, delegate_name="", delegate_email="", now=None):
    """Record an RSVP; answers close when the meeting starts or is cancelled."""
    invitation = Invitation.objects.select_for_update().select_related("meeting").get(pk=invitation.pk)
    if not invitation.meeting.rsvp_open(now):
        raise ValidationError(_("Jawaban untuk rapat ini sudah ditutup."))
    if answer not in (Invitation.Rsvp.ACCEPTED, Invitation.Rsvp.DECLINED, Invitation.Rsvp.DELEGATED):
        raise ValidationError({"answer": _("Pilih salah satu jawaban.")})
    delegate_name = " ".join((delegate_name or "").split())
    if answer == Invitation.Rsvp.DELEGATED and not delegate_name:
        raise ValidationError({"delegate_name": _("Tuliskan nama yang mewakili Anda.")})
    invitation.rsvp = answer
    invitation.delegate_name = delegate_name if answer == Invitation.Rsvp.DELEGATED else ""
    invitation.delegate_email = (delegate_email or "").strip().lower() if answer == Invitation.Rsvp.DELEGATED else ""
    invitation.responded_at = now or timezone.now()
    invitation.full_clean(exclude=["token"])
    invitation.save(update_fields=["rsvp", "delegate_name", "delegate_email", "responded_at"])
    # Declining cancels the invitee's reminders; changing one's mind brings the future ones back.
    reminders.reminders_plan(meeting=invitation.meeting, invitations=[invitation], now=now)
    return invitation


# --- on the day and after -----------------------------------------------------------------


def _refuse_if_cancelled(meeting: Meeting, message):
    # Read the status from the database: the page may have been opened before the cancellation.
    if Meeting.objects.filter(pk=meeting.pk, status=Meeting.Status.CANCELLED).exists():
        raise ValidationError(message)


def attendance_mark(*, meeting: Meeting, invitation_ids, status: str) -> int:
    """Mark many invitees at once; returns how many rows changed."""
    if status not in Invitation.Attendance.values and status != "":
        raise ValidationError({"status": _("Status kehadiran tidak dikenal.")})
    _refuse_if_cancelled(meeting, _("Rapat ini dibatalkan; kehadiran tidak dicatat."))
    return meeting.invitations.filter(pk__in=list(invitation_ids)).update(attendance=status)


def attendance_mark_accepted(*, meeting: Meeting) -> int:
    """Mark present everyone who answered "hadir" and is not marked yet; returns how many.

    Rows already marked (say, izin after a phone call on the day) are left alone.
    """
    _refuse_if_cancelled(meeting, _("Rapat ini dibatalkan; kehadiran tidak dicatat."))
    return meeting.invitations.filter(rsvp=Invitation.Rsvp.ACCEPTED, attendance="").update(
        attendance=Invitation.Attendance.PRESENT
    )


def attendance_add_walk_in(*, meeting: Meeting, name, board=None, position="") -> Invitation:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Nama peserta wajib diisi.")})
    _refuse_if_cancelled(meeting, _("Rapat ini dibatalkan; kehadiran tidak dicatat."))
    return Invitation.objects.create(
        meeting=meeting, name=name, board=board, board_name=board.name if board else "", position=position,
        kecamatan_name=_kecamatan_of(board) if board else "", is_walk_in=True,
        rsvp=Invitation.Rsvp.ACCEPTED, attendance=Invitation.Attendance.PRESENT,
    )


@transaction.atomic
def minutes_save(*, meeting: Meeting, by, summary: str, decisions: str = "") -> Minutes:
    if not summary.strip():
        raise ValidationError({"summary": _("Ringkasan notulen wajib diisi.")})
    _refuse_if_cancelled(meeting, _("Rapat ini dibatalkan; notulen tidak dapat ditulis."))
    minutes, _created = Minutes.objects.update_or_create(
        meeting=meeting, defaults={"summary": summary.strip(), "decisions": decisions.strip(), "written_by": by}
    )
    return minutes


def follow_up_add(*, meeting: Meeting, description: str, board: Board, due_date) -> FollowUp:
    description = (description or "").strip()
    errors = {}
    if not description:
        errors["description"] = _("Tuliskan tindak lanjut yang harus dikerjakan.")
    if board is None:
        errors["board"] = _("Pilih lembaga penanggung jawab.")
    if due_date is None:
        errors["due_date"] = _("Isi tenggat tindak lanjut.")
    elif due_date < timezone.localdate(meeting.start):
        errors["due_date"] = _("Tenggat tidak boleh sebelum tanggal rapat.")
    if errors:
        raise ValidationError(errors)
    _refuse_if_cancelled(meeting, _("Rapat ini dibatalkan; tindak lanjut tidak dapat ditambahkan."))
    follow_up = FollowUp(meeting=meeting, description=description, board=board, due_date=due_date)
    follow_up.full_clean()
    follow_up.save()
    reminders.follow_up_plan(follow_up=follow_up)
    return follow_up


def follow_up_set_status(*, follow_up: FollowUp, status: str) -> FollowUp:
    if status not in FollowUp.Status.values:
        raise ValidationError({"status": _("Status tindak lanjut tidak dikenal.")})
    follow_up.status = status
    follow_up.save(update_fields=["status"])
    reminders.follow_up_plan(follow_up=follow_up)
    return follow_up


# --- calendar feed -------------------------------------------------------------------------


def calendar_feed_get_or_create(*, user) -> CalendarFeed:
    """The user's personal feed; the first visit to the feed page creates it."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def calendar_feed_regenerate(*, user) -> CalendarFeed:
    """A new secret for the feed URL; the old URL stops working at once."""
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(user=user)
    if not created:
        feed.token = new_token()
        feed.save(update_fields=["token", "created_at"])
    return feed

"""Demo meetings for `manage.py seed_demo`, so a newcomer's calendar is not empty.

The coming Rakor goes through the services like any meeting (its invitees
get their notices from the worker, printed to the console by default); the
past pembinaan is history, written directly, with its minutes and a follow-up.
"""

import datetime
import random
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from organizations.models import Board, Membership, Region
from portal.lib.formats import WITA

from . import reminders, services
from .models import (
    AgendaItem,
    FollowUp,
    Invitation,
    InvitationScope,
    Meeting,
    MeetingChange,
    Minutes,
    Reminder,
)

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


# --- Scale data (seed_demo --scale N) -----------------------------------------------------------
#
# About 101 meetings per synthetic city (10,000 at --scale 100) over the past
# eleven months and the next two, each with the invitations its scope reaches
# (about 50 on average: 500,000), and the outbox rows the services would have
# written (1.5 million): the invitation notice, one row per reminder slot,
# change and cancellation notices, the organiser's reminders after the meeting
# and the follow-ups'. Past rows are sent (a few failed or skipped), future ones
# scheduled. Written in bulk (COPY on PostgreSQL), consistent with the unique
# constraints: one row per invitation and slot, per meeting and slot, per
# follow-up and slot; one invitation per person and meeting.

SCALE_MEETINGS_PER_CITY = 101
# Meeting days: this many days back and ahead of today.
SCALE_DAYS_BACK, SCALE_DAYS_AHEAD = 330, 60
# (reach, positions, weight): who a meeting invites; about 50 invitations on average.
SCALE_SCOPES = (
    ("kecamatan", "core", 32),
    ("all", "ketua", 25),
    ("boards", "core", 15),
    ("all", "core", 15),
    ("kecamatan", "all", 13),
)
# Reminder slots of a meeting (weights); without "h-3" the question about attending goes alone at H-3.
SCALE_SLOTS = ((["h-3", "h-1", "2h"], 40), (["h-1"], 35), (["h-3"], 25))
_TITLES = {
    Meeting.Kind.RAKOR: "Rakor LPM {target}",
    Meeting.Kind.PEMBINAAN: "Pembinaan Pengurus LPM {target}",
    Meeting.Kind.SOSIALISASI: "Sosialisasi Program DP3AKB bagi LPM {target}",
    Meeting.Kind.MUSYAWARAH: "Musyawarah LPM {target}",
    Meeting.Kind.MONEV: "Monev Usulan Program LPM {target}",
}
_AGENDA = ("Pembukaan", "Paparan DP3AKB", "Diskusi dan tanya jawab", "Kesepakatan dan penutup")
_FAILURE = "SMTPRecipientsRefused: {'%s': (550, b'5.1.1 Mailbox unavailable')}"


@dataclass
class ScaleResult:
    meetings: int = 0
    invitations: int = 0
    reminders: int = 0
    follow_ups: int = 0


def scale_meetings(*, scale, organiser, seed=None, today=None, now=None) -> ScaleResult:
    """Meetings for every synthetic city that has none yet (``scale - 1`` cities); returns what was created."""
    from organizations import demo as org_demo

    result = ScaleResult()
    cities = org_demo.synthetic_city_codes(scale)
    if not cities or organiser is None:
        return result
    seed = org_demo.DEFAULT_SEED if seed is None else seed
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    boards_by_city = org_demo.scale_boards(cities, today=today)
    invited = set(
        Invitation.objects.filter(board__region__code__startswith=f"{org_demo.SYNTHETIC_PROVINCE}.")
        .order_by().values_list("board_id", flat=True).distinct()
    )
    with translation.override(settings.LANGUAGE_CODE):
        labels = {value: str(label) for value, label in Membership.Position.choices}
    context = {"organiser": organiser, "labels": labels, "now": now, "today": today,
               "domain": settings.REMINDER_MESSAGE_ID_DOMAIN}
    for city in cities:
        boards = boards_by_city.get(city, [])
        if not boards or any(board.id in invited for board in boards):
            continue
        with transaction.atomic():
            org_demo.fast_writes()
            _scale_city(boards, rng=random.Random(f"{seed}:{city}:meetings"), result=result, **context)
    if result.meetings:
        org_demo.analyze(Meeting, MeetingChange, AgendaItem, InvitationScope, Invitation, Minutes, FollowUp,
                         Reminder)
    return result


def _scale_city(boards, *, rng, organiser, labels, now, today, domain, result):
    from organizations import demo as org_demo

    city = next((b for b in boards if b.kind == Board.Kind.ASSOCIATION), boards[0])
    kecamatan = {}
    for board in boards:
        if board.kecamatan_code:
            kecamatan.setdefault(board.kecamatan_code, []).append(board)
    lpm = [board for board in boards if board.kind == Board.Kind.LPM]
    scopes, weights = [scope[:2] for scope in SCALE_SCOPES], [scope[2] for scope in SCALE_SCOPES]
    slot_sets, slot_weights = [s for s, _w in SCALE_SLOTS], [w for _s, w in SCALE_SLOTS]
    kinds = list(Meeting.Kind)

    meetings = []
    for _n in range(SCALE_MEETINGS_PER_CITY):
        reach, positions = rng.choices(scopes, weights)[0]
        kec_code = rng.choice(sorted(kecamatan))
        if reach == "all":
            chosen, target = boards, f"se-{city.region_name}"
        elif reach == "kecamatan":
            chosen = kecamatan[kec_code]
            target = f"Kecamatan {kecamatan[kec_code][0].kecamatan_name}"
        else:
            chosen = rng.sample(lpm, rng.randint(2, 5))
            target = f"Kelurahan {chosen[0].region_name} dan sekitarnya"
        wanted = {"ketua": ("ketua",), "core": Membership.CORE_POSITIONS, "all": None}[positions]
        invitees, seen = [], set()
        for board in chosen:
            for member in board.members:
                if (wanted is None or member[3] in wanted) and member[0] not in seen:
                    seen.add(member[0])
                    invitees.append((board, member))
        day = today + datetime.timedelta(days=rng.randint(-SCALE_DAYS_BACK, SCALE_DAYS_AHEAD) or 1)
        hour, minute = rng.choice(((9, 0), (9, 0), (10, 0), (13, 30), (14, 0)))
        start = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=WITA)
        end = start + datetime.timedelta(hours=rng.choice((2, 2, 3, 4)))
        created = min(start - datetime.timedelta(days=rng.uniform(5, 30)), now - datetime.timedelta(hours=1))
        past = start < now
        status = rng.choices(
            [Meeting.Status.HELD, Meeting.Status.SCHEDULED, Meeting.Status.CANCELLED],
            [85, 8, 7] if past else [0, 94, 6],
        )[0]
        until = min(start, now)
        moved_at = created + (until - created) * rng.uniform(0.1, 0.5) if rng.random() < 0.1 else None
        cancelled_at = created + (until - created) * rng.uniform(0.55, 0.95) if status == "cancelled" else None
        slots = list(rng.choices(slot_sets, slot_weights)[0])
        kind = rng.choice(kinds)
        meetings.append({
            "kind": kind, "title": _TITLES[kind].format(target=target), "start": start, "end": end,
            "created": created, "status": status, "moved_at": moved_at, "cancelled_at": cancelled_at,
            "slots": slots, "invitees": invitees, "reach": reach, "positions": positions, "chosen": chosen,
            "venue": f"Aula Kantor Kecamatan {chosen[0].kecamatan_name or city.region_name}",
        })

    sequence_of = {id(m): (m["moved_at"] is not None) + (m["cancelled_at"] is not None) for m in meetings}
    meeting_ids = org_demo.bulk_insert(
        Meeting,
        ("uid", "kind", "title", "organiser_id", "start", "end", "venue", "online_url", "description", "status",
         "cancel_reason", "sequence", "reminder_slots", "reminder_note", "created_at", "updated_at"),
        [(uuid.uuid4(), m["kind"], m["title"], organiser.pk, m["start"], m["end"], m["venue"], "",
          "Koordinasi program LPM dan DP3AKB.", m["status"],
          "Bertepatan dengan kegiatan pemerintah kota." if m["cancelled_at"] else "", sequence_of[id(m)],
          m["slots"], "", m["created"], m["cancelled_at"] or m["moved_at"] or m["created"]) for m in meetings],
        with_ids=True,
    )
    changes, agenda, scope_rows, scope_kecamatan, scope_boards = [], [], [], [], []
    for pk, m in zip(meeting_ids, meetings):
        m["id"] = pk
        if m["moved_at"]:
            old = m["start"] - datetime.timedelta(days=rng.randint(1, 3))
            changes.append((pk, organiser.pk, m["moved_at"], 1,
                            {"start": [services._as_text(old), services._as_text(m["start"])]}, ""))
        if m["cancelled_at"]:
            changes.append((pk, organiser.pk, m["cancelled_at"], sequence_of[id(m)],
                            {"status": [Meeting.Status.SCHEDULED, Meeting.Status.CANCELLED]},
                            "Bertepatan dengan kegiatan pemerintah kota."))
        for order, title in enumerate(_AGENDA[:rng.randint(3, 4)]):
            agenda.append((pk, order, title, "", 30))
        scope_rows.append((pk, m["reach"], m["positions"], m["created"]))
    org_demo.bulk_insert(MeetingChange, ("meeting_id", "changed_by_id", "changed_at", "sequence", "changes", "note"),
                         changes)
    org_demo.bulk_insert(AgendaItem, ("meeting_id", "order", "title", "presenter", "duration_minutes"), agenda)
    scope_ids = org_demo.bulk_insert(InvitationScope, ("meeting_id", "reach", "positions", "created_at"), scope_rows,
                                     with_ids=True)
    for scope_id, m in zip(scope_ids, meetings):
        if m["reach"] == "kecamatan":
            scope_kecamatan.append((scope_id, _forum_region(m["chosen"])))
        elif m["reach"] == "boards":
            scope_boards.extend((scope_id, board.id) for board in m["chosen"])
    org_demo.bulk_insert(InvitationScope.kecamatan.through, ("invitationscope_id", "region_id"),
                         [row for row in scope_kecamatan if row[1]])
    org_demo.bulk_insert(InvitationScope.boards.through, ("invitationscope_id", "board_id"), scope_boards)

    # Invitations: the snapshot of each invitee, their answer and attendance.
    invitation_rows, answers = [], []
    for m in meetings:
        held = m["status"] == Meeting.Status.HELD
        past = m["start"] < now
        until = min(m["cancelled_at"] or m["start"], now)
        for board, (person_id, name, email, position, _start, _end) in m["invitees"]:
            rsvp = rng.choices(["accepted", "declined", "delegated", "pending"],
                               [68, 10, 5, 17] if past else [35, 7, 3, 55])[0]
            responded = None if rsvp == "pending" else m["created"] + (until - m["created"]) * rng.uniform(0.05, 0.9)
            attendance = ""
            if held:
                attendance = {"accepted": "hadir" if rng.random() < 0.92 else "tidak_hadir", "delegated": "hadir",
                              "declined": "izin", "pending": "hadir" if rng.random() < 0.3 else "tidak_hadir"}[rsvp]
            delegate = f"Wakil {name}"[:150] if rsvp == "delegated" else ""
            invitation_rows.append((
                m["id"], person_id, board.id, name, email, board.name, labels.get(position, position),
                board.kecamatan_name, False, False, secrets.token_urlsafe(32), rsvp, delegate, "", responded,
                attendance, m["created"],
            ))
            answers.append((m, email, rsvp, responded))
    invitation_ids = org_demo.bulk_insert(
        Invitation,
        ("meeting_id", "person_id", "board_id", "name", "email", "board_name", "position", "kecamatan_name",
         "is_guest", "is_walk_in", "token", "rsvp", "delegate_name", "delegate_email", "responded_at", "attendance",
         "created_at"),
        invitation_rows, with_ids=True,
    )

    # Minutes for most held meetings; follow-ups for some.
    minutes, follow_ups = [], []
    for m in meetings:
        m["minutes"] = m["status"] == Meeting.Status.HELD and rng.random() < 0.9
        if m["minutes"]:
            minutes.append((m["id"], "Rapat membahas pelaksanaan program LPM dan tindak lanjutnya.",
                            "Setiap LPM menyampaikan laporan kegiatan.", organiser.pk, m["end"]))
        if m["status"] == Meeting.Status.HELD and rng.random() < 0.3:
            due = timezone.localdate(m["start"]) + datetime.timedelta(days=rng.randint(7, 45))
            done = due < today - datetime.timedelta(days=14) and rng.random() < 0.8
            board = rng.choice(m["chosen"])
            follow_ups.append((m, board.id, due, FollowUp.Status.DONE if done else FollowUp.Status.OPEN))
    org_demo.bulk_insert(Minutes, ("meeting_id", "summary", "decisions", "written_by_id", "updated_at"), minutes)
    follow_up_ids = org_demo.bulk_insert(
        FollowUp, ("meeting_id", "description", "board_id", "due_date", "status"),
        [(m["id"], "Serahkan laporan kegiatan dan daftar pengurus terbaru.", board_id, due, status)
         for m, board_id, due, status in follow_ups],
        with_ids=True,
    )

    # The outbox.
    outbox = _Outbox(now=now, rng=rng)
    for invitation_id, (m, email, rsvp, responded) in zip(invitation_ids, answers):
        cancelled_at = m["cancelled_at"]
        outbox.notice(m, invitation_id, Reminder.Kind.INVITATION, "invite", m["created"], email)
        if m["moved_at"] and not (rsvp == "declined" and responded and responded < m["moved_at"]):
            outbox.notice(m, invitation_id, Reminder.Kind.CHANGE, "change-1", m["moved_at"], email)
        if cancelled_at:
            outbox.notice(m, invitation_id, Reminder.Kind.CANCELLATION, f"cancel-{sequence_of[id(m)]}", cancelled_at,
                          email)
        slots = [s for s in reminders.SLOT_KEYS if s in m["slots"]]
        if "h-3" not in slots:
            slots.append(reminders.ASK_SLOT)
        for slot in slots:
            due = reminders.slot_due("h-3" if slot == reminders.ASK_SLOT else slot, m["start"])
            if due <= m["created"]:
                outbox.add(m, invitation_id, None, Reminder.Kind.REMINDER, slot, due, Reminder.Status.SKIPPED)
            elif cancelled_at and due > cancelled_at:
                outbox.add(m, invitation_id, None, Reminder.Kind.REMINDER, slot, due, Reminder.Status.CANCELLED)
            elif rsvp == "declined" and responded and responded < due:
                outbox.add(m, invitation_id, None, Reminder.Kind.REMINDER, slot, due, Reminder.Status.CANCELLED)
            elif due > now:
                outbox.add(m, invitation_id, None, Reminder.Kind.REMINDER, slot, due, Reminder.Status.SCHEDULED)
            elif slot == reminders.ASK_SLOT and responded and responded < due:
                outbox.add(m, invitation_id, None, Reminder.Kind.REMINDER, slot, due, Reminder.Status.SKIPPED,
                           error="Undangan sudah menjawab.")
            else:
                outbox.notice(m, invitation_id, Reminder.Kind.REMINDER, slot, due, email)
    for m in meetings:
        for slot in reminders.ORGANISER_SLOTS:
            due = reminders.slot_due(slot, m["start"])
            if m["status"] == Meeting.Status.CANCELLED:
                outbox.add(m, None, None, Reminder.Kind.ORGANISER, slot, due, Reminder.Status.CANCELLED)
            elif due > now:
                outbox.add(m, None, None, Reminder.Kind.ORGANISER, slot, due, Reminder.Status.SCHEDULED)
            elif m["minutes"]:
                outbox.add(m, None, None, Reminder.Kind.ORGANISER, slot, due, Reminder.Status.SKIPPED,
                           error="Kehadiran dan notulen sudah lengkap.")
            else:
                outbox.notice(m, None, Reminder.Kind.ORGANISER, slot, due, organiser.email)
    for follow_up_id, (m, _board_id, due_date, status) in zip(follow_up_ids, follow_ups):
        for slot in reminders.FOLLOW_UP_SLOTS:
            due = reminders.follow_up_due(slot, due_date)
            if status == FollowUp.Status.DONE and slot == "overdue":
                outbox.add(m, None, follow_up_id, Reminder.Kind.FOLLOW_UP, slot, due, Reminder.Status.CANCELLED)
            elif due > now:
                outbox.add(m, None, follow_up_id, Reminder.Kind.FOLLOW_UP, slot, due, Reminder.Status.SCHEDULED)
            else:
                outbox.notice(m, None, Reminder.Kind.FOLLOW_UP, slot, due, organiser.email, follow_up=follow_up_id)
    outbox.write(domain)

    result.meetings += len(meeting_ids)
    result.invitations += len(invitation_ids)
    result.follow_ups += len(follow_up_ids)
    result.reminders += len(outbox.rows)


def _forum_region(boards):
    return next((board.region_id for board in boards if board.kind == Board.Kind.FORUM), None)


class _Outbox:
    """Reminder rows in the states the dispatcher and the workers would have left them."""

    def __init__(self, *, now, rng):
        self.now, self.rng, self.rows = now, rng, []

    def add(self, m, invitation_id, follow_up_id, kind, slot, due, status, *, error="", sent=None, recipients=""):
        # (meeting, invitation, follow-up, kind, slot, due, status, attempts, claimed, sent, recipients, error, created)
        attempts = 1 if sent or status == Reminder.Status.FAILED else 0
        self.rows.append((m["id"], invitation_id, follow_up_id, kind, slot, due, status, attempts,
                          due if attempts else None, sent, recipients, error, m["created"]))

    def notice(self, m, invitation_id, kind, slot, due, email, *, follow_up=None):
        """A row whose time has come: sent, or skipped without an address, or (rarely) refused."""
        if not email:
            self.add(m, invitation_id, follow_up, kind, slot, due, Reminder.Status.SKIPPED,
                     error="Tidak ada alamat e-mail penerima.")
        elif due > self.now:
            self.add(m, invitation_id, follow_up, kind, slot, due, Reminder.Status.SCHEDULED)
        elif self.rng.random() < 0.003:
            self.add(m, invitation_id, follow_up, kind, slot, due, Reminder.Status.FAILED, error=_FAILURE % email)
        else:
            sent = due + datetime.timedelta(seconds=self.rng.uniform(2, 90))
            self.add(m, invitation_id, follow_up, kind, slot, due, Reminder.Status.SENT, sent=sent, recipients=email)

    def write(self, domain):
        from organizations import demo as org_demo

        columns = ("meeting_id", "invitation_id", "follow_up_id", "kind", "slot", "due_at", "status", "attempts",
                   "claimed_at", "sent_at", "recipients", "last_error", "created_at", "message_id")
        ids = org_demo.reserve_ids(Reminder, len(self.rows))
        if ids is None:
            rows = [(*row, "") for row in self.rows]
        else:
            columns = ("id", *columns)
            # The Message-ID a sent row carries (reminders.message_id_for).
            rows = [(pk, *row, f"<reminder.{pk}.{row[4]}@{domain}>" if row[9] else "")
                    for pk, row in zip(ids, self.rows)]
        org_demo.bulk_insert(Reminder, columns, rows)

"""Reads for meetings, shaped so that a page's query count does not grow with its rows."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, Subquery, Value, Window
from django.db.models.functions import Coalesce, RowNumber, TruncDate
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.models import Board, Membership, Region
from portal.lib import formats

from .models import FollowUp, Invitation, InvitationScope, Meeting, MeetingChange, Minutes

# --- staff list ------------------------------------------------------------------------


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=formats.WITA)


def meetings_filtered(*, kind="", kecamatan=None, status="", date_from=None, date_to=None):
    """All meetings for the staff list, with their invitation counts, newest first.

    ``kecamatan`` keeps the meetings that invite at least one board of that
    kecamatan (its kelurahan LPMs or its Forum). Dates are days in WITA, both
    inclusive.
    """
    meetings = Meeting.objects.all()
    if kind:
        meetings = meetings.filter(kind=kind)
    if status:
        meetings = meetings.filter(status=status)
    if kecamatan is not None:
        # EXISTS rather than a join: a join would repeat a meeting once per invitee.
        invites_kecamatan = Invitation.objects.filter(meeting=OuterRef("pk")).filter(
            Q(board__region__parent_id=kecamatan.pk) | Q(board__region_id=kecamatan.pk)
        )
        meetings = meetings.filter(Exists(invites_kecamatan))
    if date_from:
        meetings = meetings.filter(start__gte=_start_of_day(date_from))
    if date_to:
        meetings = meetings.filter(start__lt=_start_of_day(date_to + datetime.timedelta(days=1)))
    return meetings.annotate(
        invitation_count=Count("invitations", filter=Q(invitations__is_walk_in=False)),
        accepted_count=Count(
            "invitations",
            filter=Q(invitations__rsvp__in=[Invitation.Rsvp.ACCEPTED, Invitation.Rsvp.DELEGATED]),
        ),
    ).order_by("-start", "-pk")


def kecamatan_choices():
    return Region.objects.filter(level=Region.Level.KECAMATAN).order_by("code")


# --- calendar ---------------------------------------------------------------------------


def with_answer_counts(meetings):
    """Staff's counts per meeting (invited, coming, not yet answered; walk-ins are not invitees).

    Correlated subqueries, so PostgreSQL counts the invitations of the rows a page fetches only, after its
    sort and LIMIT, rather than aggregating every invitation of the filtered meetings (and the page count
    needs no join).
    """
    invited = Invitation.objects.filter(meeting=OuterRef("pk"), is_walk_in=False)
    return meetings.annotate(
        invited_count=_count(invited),
        coming_count=_count(invited.filter(rsvp__in=[Invitation.Rsvp.ACCEPTED, Invitation.Rsvp.DELEGATED])),
        pending_count=_count(invited.filter(rsvp=Invitation.Rsvp.PENDING)),
    )


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The WITA day ``day`` as [start, end)."""
    return _start_of_day(day), _start_of_day(day + datetime.timedelta(days=1))


def month_meetings(meetings, *, start, end, per_day):
    """The first ``per_day`` meetings (by start) of each WITA day in [start, end), in one query.

    Returns ``(shown, totals)``: the meetings to show by day, and how many each day has in all. Ranked in the
    database, so a month of a national rollout (hundreds of meetings) costs what a quiet one does.
    """
    if meetings.query.distinct:
        # An invitee's meetings come through a join made distinct; rank the meetings themselves.
        meetings = Meeting.objects.filter(pk__in=meetings.values("pk"))
    day = TruncDate("start", tzinfo=formats.WITA)
    ranked = (
        meetings.filter(start__gte=start, start__lt=end)
        .only("pk", "title", "start", "end", "status")
        .annotate(
            day=day,
            day_rank=Window(RowNumber(), partition_by=[day], order_by=[F("start").asc(), F("pk").asc()]),
            day_total=Window(Count("pk"), partition_by=[day]),
        )
        .filter(day_rank__lte=per_day)
        .order_by("start", "pk")
    )
    shown, totals = {}, {}
    for meeting in ranked:
        shown.setdefault(meeting.day, []).append(meeting)
        totals[meeting.day] = meeting.day_total
    return shown, totals


# --- detail page ----------------------------------------------------------------------


def meeting_detail_queryset(*, for_staff=False):
    """A meeting with everything its page shows, in a fixed number of queries."""
    meetings = Meeting.objects.select_related("organiser").prefetch_related(
        "agenda_items",
        "materials",
        Prefetch("changes", queryset=MeetingChange.objects.select_related("changed_by")),
    )
    if for_staff:
        meetings = meetings.prefetch_related(
            Prefetch("scopes", queryset=InvitationScope.objects.prefetch_related("kecamatan", "boards"))
        )
    return meetings


def invitation_of(*, meeting, user):
    """The user's own invitation to the meeting, or None."""
    if not user.is_authenticated:
        return None
    return Invitation.objects.for_user(user).filter(meeting=meeting).first()


@dataclass(frozen=True)
class InvitationCounts:
    total: int = 0
    pending: int = 0
    accepted: int = 0
    declined: int = 0
    delegated: int = 0
    guests: int = 0


def invitation_counts(meeting) -> InvitationCounts:
    """How many were invited and how they answered, in one query (walk-ins are not invitees)."""
    rows = meeting.invitations.filter(is_walk_in=False).aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(rsvp=Invitation.Rsvp.PENDING)),
        accepted=Count("pk", filter=Q(rsvp=Invitation.Rsvp.ACCEPTED)),
        declined=Count("pk", filter=Q(rsvp=Invitation.Rsvp.DECLINED)),
        delegated=Count("pk", filter=Q(rsvp=Invitation.Rsvp.DELEGATED)),
        guests=Count("pk", filter=Q(is_guest=True)),
    )
    return InvitationCounts(**rows)


def guests_of(meeting):
    return list(meeting.invitations.filter(is_guest=True).order_by("name"))


def invitee_person_ids(meeting):
    return list(meeting.invitations.filter(person__isnull=False).values_list("person_id", flat=True))


@dataclass(frozen=True)
class ChangeLine:
    label: str
    old: str
    new: str


def _field_label(name):
    if name == "status":
        return _("Status")
    return str(Meeting._meta.get_field(name).verbose_name).capitalize()


def _readable(name, value):
    if not value:
        return "—"
    if name in ("start", "end"):
        try:
            return formats.datetime_long(datetime.datetime.fromisoformat(value))
        except ValueError:
            return value
    if name == "status":
        return str(Meeting.Status(value).label) if value in Meeting.Status.values else value
    return value


def change_lines(change: MeetingChange):
    """A logged change as readable lines ("Mulai: Kamis, ... → Jumat, ...")."""
    return [
        ChangeLine(label=_field_label(name), old=_readable(name, old), new=_readable(name, new))
        for name, (old, new) in change.changes.items()
        if name in Meeting.NOTIFIABLE_FIELDS or name == "status"
    ]


def change_log(meeting):
    """The meeting's changes, newest first, each with its readable lines (uses the prefetch)."""
    changes = list(meeting.changes.all())
    for change in changes:
        change.lines = change_lines(change)
    return changes


# --- invitations ----------------------------------------------------------------------


def board_choices():
    """Boards grouped by kecamatan for the scope form: [(group label, [(pk, name)])]."""
    boards = Board.objects.select_related("region__parent").order_by("region__code", "kind")
    groups = {}
    for board in boards:
        if board.kind == Board.Kind.LPM:
            key = board.region.parent.name if board.region.parent else ""
        elif board.kind == Board.Kind.FORUM:
            key = board.region.name
        else:
            key = ""
        groups.setdefault(key, []).append((board.pk, board.name))
    return [
        (_("Kecamatan %(name)s") % {"name": key} if key else _("Tingkat kota"), items) for key, items in groups.items()
    ]


def scope_boards(*, reach, kecamatan=(), boards=()):
    """The boards a scope aims at, whether or not they have anyone to invite."""
    queryset = Board.objects.all()
    if reach == InvitationScope.Reach.KECAMATAN:
        queryset = queryset.in_kecamatan([k.pk for k in kecamatan])
    elif reach == InvitationScope.Reach.BOARDS:
        queryset = queryset.filter(pk__in=[b.pk for b in boards])
    return queryset.select_related("region").order_by("region__code", "kind")


@dataclass
class ScopePreview:
    reached: int
    already: int
    new: int
    per_board: list  # [(board, count)] in region order
    boards_without: list  # boards aimed at where nobody matches the positions
    conflicts: dict


def scope_preview(*, meeting, memberships, boards):
    """What inviting ``memberships`` would do, before anything is saved."""
    already = set(meeting.invitations.filter(person__isnull=False).values_list("person_id", flat=True))
    counts = {}
    for membership in memberships:
        counts[membership.board_id] = counts.get(membership.board_id, 0) + 1
    boards = list(boards)
    per_board = [(board, counts[board.pk]) for board in boards if board.pk in counts]
    new_people = [m.person_id for m in memberships if m.person_id not in already]
    conflicts = invitees_conflicts(start=meeting.start, end=meeting.end, person_ids=new_people, exclude_meeting=meeting)
    return ScopePreview(
        reached=len(memberships),
        already=len(memberships) - len(new_people),
        new=len(new_people),
        per_board=per_board,
        boards_without=[board for board in boards if board.pk not in counts],
        conflicts=conflicts,
    )


def copy_suggested_times(meeting, now=None):
    """A suggestion for a copy: the same weekday and time a week later, if that is still ahead."""
    now = now or timezone.now()
    start = meeting.start + datetime.timedelta(days=7)
    return (start, meeting.end + datetime.timedelta(days=7)) if start > now else (None, None)


# --- what staff may do now ---------------------------------------------------------------


@dataclass(frozen=True)
class MeetingActions:
    """Which staff buttons make sense for a meeting now; the services enforce the same rules."""

    can_change: bool  # edit, cancel, invite, add guests
    can_mark_held: bool
    can_add_material: bool


def meeting_actions(meeting, now=None) -> MeetingActions:
    now = now or timezone.now()
    scheduled = meeting.status == Meeting.Status.SCHEDULED
    return MeetingActions(
        can_change=scheduled,
        can_mark_held=scheduled and now >= meeting.start,
        can_add_material=meeting.status != Meeting.Status.CANCELLED,
    )


def conflict_ids(conflicts) -> list[int]:
    """The clashing meetings' ids, to remember which warning staff has seen and accepted."""
    return sorted({m.pk for m in conflicts.get("people", [])} | {m.pk for m in conflicts.get("venue", [])})




# --- Reads for attendance: the marking sheet, its totals, and rates per board for the dashboard.
PRESENT = Invitation.Attendance.PRESENT
EXCUSED = Invitation.Attendance.EXCUSED
ABSENT = Invitation.Attendance.ABSENT


def attendance_sheet(meeting):
    """Every invitee of a meeting, invited people first, walk-ins last: one query.

    The rows carry their own snapshot (name, board, kecamatan, position), so the
    sheet needs no join whatever its length.
    """
    return list(
        meeting.invitations.order_by("is_walk_in", "kecamatan_name", "board_name", "name", "pk").only(
            "pk", "meeting_id", "name", "board_name", "kecamatan_name", "position", "rsvp", "delegate_name",
            "attendance", "is_guest", "is_walk_in",
        )
    )


@dataclass(frozen=True)
class AttendanceSummary:
    invited: int
    present: int
    excused: int
    absent: int
    unmarked: int
    walk_ins: int
    accepted_unmarked: int

    @property
    def total(self):
        return self.invited + self.walk_ins

    @property
    def taken(self):
        """Whether anyone has been marked yet."""
        return self.present + self.excused + self.absent > 0


def attendance_summary(meeting) -> AttendanceSummary:
    """The sheet's totals in one query. Walk-ins count as present but not as invited."""
    invited = Q(is_walk_in=False)
    counts = meeting.invitations.aggregate(
        invited=Count("pk", filter=invited),
        present=Count("pk", filter=Q(attendance=PRESENT)),
        excused=Count("pk", filter=Q(attendance=EXCUSED)),
        absent=Count("pk", filter=Q(attendance=ABSENT)),
        unmarked=Count("pk", filter=invited & Q(attendance="")),
        walk_ins=Count("pk", filter=Q(is_walk_in=True)),
        accepted_unmarked=Count("pk", filter=Q(rsvp=Invitation.Rsvp.ACCEPTED, attendance="")),
    )
    return AttendanceSummary(**counts)


@dataclass(frozen=True)
class BoardAttendance:
    board_id: int
    board_name: str
    meetings: int
    invited: int
    present: int

    @property
    def rate(self):
        """Share of invitations answered by someone present, as a whole percentage."""
        return round(100 * self.present / self.invited) if self.invited else 0


def attendance_rate_by_board(*, since: datetime.datetime, until: datetime.datetime | None = None):
    """Per board: how many invitations its people had and how many were present.

    Counts the meetings that started in [since, until) (until defaults to now),
    were not cancelled and had their attendance taken: a meeting whose sheet was
    never filled in would otherwise count everyone as absent. Walk-ins are not
    invitations and count for nobody's rate. One query, whatever the period.
    """
    until = until or timezone.now()
    taken = Invitation.objects.filter(meeting=OuterRef("meeting")).exclude(attendance="")
    rows = (
        Invitation.objects.filter(
            meeting__start__gte=since, meeting__start__lt=until, board__isnull=False, is_walk_in=False,
        )
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .filter(Exists(taken))
        .values("board_id", "board__name")
        .annotate(
            meetings=Count("meeting", distinct=True),
            invited=Count("pk"),
            present=Count("pk", filter=Q(attendance=PRESENT)),
        )
        .order_by("board__name", "board_id")
    )
    return [
        BoardAttendance(board_id=row["board_id"], board_name=row["board__name"], meetings=row["meetings"],
                        invited=row["invited"], present=row["present"])
        for row in rows
    ]




# --- Reads for follow-ups (tindak lanjut): per meeting, and what a board still has to do.
def follow_ups_of_meeting(meeting):
    """A meeting's follow-ups with their responsible board: one query."""
    return list(meeting.follow_ups.select_related("board").order_by("due_date", "pk"))


def open_follow_ups_for_board(board, *, today=None):
    """The board's follow-ups not done yet, soonest due first, each with ``is_overdue``.

    Only the meeting's title and start come along: a board may be responsible for
    a follow-up of a meeting its people were not invited to.
    """
    today = today or timezone.localdate()
    follow_ups = list(
        FollowUp.objects.filter(board=board, status=FollowUp.Status.OPEN)
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .select_related("meeting")
        .only("pk", "description", "due_date", "status", "board_id", "meeting__title", "meeting__start")
        .order_by("due_date", "pk")
    )
    for follow_up in follow_ups:
        follow_up.is_overdue = follow_up.due_date < today
    return follow_ups




# --- What may be read once a meeting has taken place: minutes, follow-ups, documents.
def minutes_for_reader_or_404(*, access, meeting, now=None):
    """The minutes this user may read: staff get them or None (not written yet);
    an invitee gets them only after the meeting, and a 404 before or when none exist."""
    minutes = Minutes.objects.filter(meeting=meeting).select_related("written_by").first()
    if not access.can_read_minutes(meeting, has_minutes=minutes is not None, now=now):
        raise Http404
    return minutes


def decision_lines(minutes) -> list[str]:
    """Decisions are typed one per line; blank lines are not decisions."""
    if minutes is None:
        return []
    return [line.strip() for line in minutes.decisions.splitlines() if line.strip()]


@dataclass(frozen=True)
class AfterMeeting:
    """The facts the meeting page needs for its "on the day and after" block."""

    can_manage: bool
    is_cancelled: bool
    has_minutes: bool
    can_read_minutes: bool
    follow_ups: int
    follow_ups_open: int
    invited: int
    present: int

    @property
    def can_download_minutes(self):
        return self.has_minutes and self.can_read_minutes


def _count(queryset):
    """A correlated COUNT(*) subquery over ``queryset`` (already filtered on OuterRef)."""
    counted = queryset.order_by().values("meeting").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def after_meeting(*, access, meeting, now=None) -> AfterMeeting:
    """Everything the block shows, in one query."""
    same = Q(meeting=OuterRef("pk"))
    row = (
        Meeting.objects.filter(pk=meeting.pk)
        .annotate(
            has_minutes=Exists(Minutes.objects.filter(same)),
            follow_ups_total=_count(FollowUp.objects.filter(same)),
            follow_ups_open=_count(FollowUp.objects.filter(same, status=FollowUp.Status.OPEN)),
            invited_count=_count(Invitation.objects.filter(same, is_walk_in=False)),
            present_count=_count(Invitation.objects.filter(same, attendance=Invitation.Attendance.PRESENT)),
        )
        .values("has_minutes", "follow_ups_total", "follow_ups_open", "invited_count", "present_count")
        .get()
    )
    readable = access.can_read_minutes(meeting, has_minutes=row["has_minutes"], now=now)
    return AfterMeeting(
        can_manage=access.can_manage_meetings(),
        is_cancelled=meeting.status == Meeting.Status.CANCELLED,
        has_minutes=row["has_minutes"],
        can_read_minutes=readable,
        follow_ups=row["follow_ups_total"] if readable else 0,
        follow_ups_open=row["follow_ups_open"] if readable else 0,
        invited=row["invited_count"],
        present=row["present_count"],
    )


# --- who a scope reaches, and clashes -------------------------------------------------


def scope_memberships(*, reach, positions, kecamatan=(), boards=(), on=None):
    """Active memberships reached by a scope, one per person (their LPM post first)."""
    on = on or timezone.localdate()
    memberships = Membership.objects.active(on).select_related("person", "board__region__parent")
    if reach == InvitationScope.Reach.KECAMATAN:
        ids = [k.pk for k in kecamatan]
        memberships = memberships.filter(Q(board__region__parent_id__in=ids) | Q(board__region_id__in=ids))
    elif reach == InvitationScope.Reach.BOARDS:
        memberships = memberships.filter(board__in=list(boards))
    wanted = InvitationScope.POSITIONS_OF[InvitationScope.Positions(positions)]
    if wanted:
        memberships = memberships.filter(position__in=wanted)
    chosen = {}
    kind_rank = {Board.Kind.LPM: 0, Board.Kind.FORUM: 1, Board.Kind.ASSOCIATION: 2}
    for membership in memberships.order_by("board__region__code"):
        current = chosen.get(membership.person_id)
        if current is None or kind_rank[membership.board.kind] < kind_rank[current.board.kind]:
            chosen[membership.person_id] = membership
    return list(chosen.values())


def invitees_conflicts(*, start, end, person_ids, venue="", exclude_meeting=None):
    """Scheduled meetings that overlap [start, end) and share an invitee or the venue."""
    overlapping = Meeting.objects.filter(status=Meeting.Status.SCHEDULED, start__lt=end, end__gt=start)
    if exclude_meeting is not None:
        overlapping = overlapping.exclude(pk=exclude_meeting.pk)
    people = overlapping.filter(invitations__person_id__in=list(person_ids)).distinct() if person_ids else []
    venue = " ".join(venue.split())
    venue_clash = overlapping.filter(venue__iexact=venue) if venue else []
    return {"people": list(people), "venue": list(venue_clash)}

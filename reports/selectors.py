"""Reads for the dashboard, an officer's own numbers and the recap.

Every function answers in a fixed number of queries (aggregates grouped in the
database, subqueries rather than loops), so the dashboard costs the same for 6
boards or 400. A ``Scope`` says which part of the city is read: staff see all
of it, a kecamatan coordinator only their kecamatan, and only staff see a
decision before it is published (the rule of ``Access.sees_decision``).
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BooleanField, Case, CharField, Count, Exists, F, OuterRef, Q, Subquery, Sum, Value, When
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from meetings.models import FollowUp, Invitation, Meeting
from meetings.selectors import BoardAttendance, attendance_rate_by_board
from organizations.models import Board, Membership, Person, Region
from portal.lib import cache as user_cache
from portal.lib import formats
from programs.models import Category, Cycle, Proposal

S = Proposal.Status

# Where a proposal waits for someone to act (staff, or the board after a revision request).
AWAITING = (S.SUBMITTED, S.UNDER_REVIEW, S.REVISION_REQUESTED)
# Approved and everything after it: the approved budget counts.
APPROVED_ONWARDS = (S.APPROVED, S.IN_PROGRESS, S.COMPLETED, S.EVALUATED)
DONE = (S.COMPLETED, S.EVALUATED)
# The queue's "every status" filter (programs.queue.ALL); without a status it shows only what awaits staff.
ALL_STATUSES = "all"
# Days in the current state: [0, 7), [7, 14), [14, 30), 30 and more.
AGE_EDGES = (7, 14, 30)
AGE_LABELS = (_("< 7 hari"), _("7–13 hari"), _("14–29 hari"), _("≥ 30 hari"))
# A meeting this close with fewer than half its invitees answering gets a warning.
RSVP_WARNING_DAYS = 3
UPCOMING_LIMIT = 10
# Every list on the dashboard stops here and links to its whole length (``?semua=...``), so the page costs the
# same for one city or a whole country.
LIST_LIMIT = 25
ATTENDANCE_DAYS = 365
# How far back board_health first looks for each board's last two meetings; boards it cannot settle there
# (no one present and fewer than two meetings in that time) are looked up over their whole history. Only the
# cost depends on it, never the answer.
HEALTH_WINDOW_DAYS = 45
# The dashboard reads the attendance rates of this many boards more than it shows, in case some have none.
ATTENDANCE_SLACK = 10


def percent(part, whole, digits=0):
    """``part`` of ``whole`` in percent, rounded; 0 when there is nothing to count."""
    if not whole:
        return 0
    value = round(100 * part / whole, digits)
    return int(value) if digits == 0 else value


# --- scope ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The part of the city a reader sees; None kecamatan means all of it."""

    kecamatan_ids: frozenset | None = None
    sees_decisions: bool = True
    links_to_queue: bool = True

    @classmethod
    def of(cls, access):
        kecamatan = access.dashboard_kecamatan_ids
        return cls(
            kecamatan_ids=None if kecamatan is None else frozenset(kecamatan),
            sees_decisions=access.sees_everything,
            links_to_queue=access.can_review_proposals(),
        )

    @property
    def is_city(self):
        return self.kecamatan_ids is None

    @property
    def single_kecamatan(self):
        """The one kecamatan a coordinator sees, for the queue's kecamatan filter."""
        if self.kecamatan_ids is not None and len(self.kecamatan_ids) == 1:
            return next(iter(self.kecamatan_ids))
        return None

    def board_q(self, prefix=""):
        """Boards of the scope: kelurahan LPMs under its kecamatan and the Forums themselves."""
        if self.is_city:
            return Q()
        ids = list(self.kecamatan_ids)
        return Q(**{f"{prefix}region__parent_id__in": ids}) | Q(**{f"{prefix}region_id__in": ids})

    def boards(self, boards=None):
        boards = boards if boards is not None else Board.objects.all()
        return boards.filter(self.board_q())

    def kecamatan(self):
        regions = Region.objects.filter(level=Region.Level.KECAMATAN)
        if not self.is_city:
            regions = regions.filter(pk__in=list(self.kecamatan_ids))
        return regions.order_by("code")

    def proposals(self):
        """Proposals of the scope's boards; drafts are the board's own business, never counted."""
        proposals = Proposal.objects.exclude(status=S.DRAFT)
        if not self.is_city:
            proposals = proposals.filter(board__region__parent_id__in=list(self.kecamatan_ids))
        return proposals

    def shown_status(self):
        """The status as this reader may know it: an unpublished decision reads "under review"."""
        if self.sees_decisions:
            return F("status")
        return Case(
            When(status__in=Proposal.DECIDED, decision_published_at__isnull=True, then=Value(S.UNDER_REVIEW)),
            default=F("status"),
            output_field=CharField(),
        )

    def approved_q(self):
        approved = Q(status__in=APPROVED_ONWARDS)
        if not self.sees_decisions:
            approved &= Q(decision_published_at__isnull=False)
        return approved

    def queue_url(self, **params):
        """A link to the staff review queue filtered by ``params``; None for readers who have no queue."""
        if not self.links_to_queue:
            return None
        if "kecamatan" not in params and self.single_kecamatan is not None:
            params["kecamatan"] = self.single_kecamatan
        query = {key: value for key, value in params.items() if value is not None and value != ""}
        url = reverse("programs:queue")
        return f"{url}?{urlencode(query)}" if query else url


# --- meetings ---------------------------------------------------------------------------------


@dataclass
class UpcomingMeeting:
    meeting: Meeting
    invited: int
    answered: int
    accepted: int
    soon: bool

    @property
    def answered_rate(self):
        return percent(self.answered, self.invited)

    @property
    def accepted_rate(self):
        return percent(self.accepted, self.invited)

    @property
    def warning(self):
        """Within three days and fewer than half of the invitees have answered."""
        return self.soon and self.invited > 0 and 2 * self.answered < self.invited


def upcoming_meetings(scope: Scope, *, now=None, limit=UPCOMING_LIMIT):
    """The next scheduled meetings with their RSVP counts; a coordinator counts their kecamatan's invitees."""
    now = now or timezone.now()
    invited = Q(invitations__is_walk_in=False) & scope.board_q("invitations__board__")
    answered = [Invitation.Rsvp.ACCEPTED, Invitation.Rsvp.DECLINED, Invitation.Rsvp.DELEGATED]
    meetings = Meeting.objects.upcoming(now).filter(status=Meeting.Status.SCHEDULED)
    if not scope.is_city:
        # EXISTS, not a join: a join would repeat the meeting once per invitee.
        meetings = meetings.filter(
            Exists(Invitation.objects.filter(scope.board_q("board__"), meeting=OuterRef("pk")))
        )
    # The meetings shown are chosen first, then only their invitations counted: counting before the LIMIT
    # would add up the invitations of every upcoming meeting in the country.
    first = meetings.order_by("start", "pk").values("pk")[:limit]
    meetings = Meeting.objects.filter(pk__in=first).annotate(
        invited_count=Count("invitations", filter=invited),
        answered_count=Count("invitations", filter=invited & Q(invitations__rsvp__in=answered)),
        accepted_count=Count(
            "invitations",
            filter=invited & Q(invitations__rsvp__in=[Invitation.Rsvp.ACCEPTED, Invitation.Rsvp.DELEGATED]),
        ),
    ).order_by("start", "pk")
    soon = now + datetime.timedelta(days=RSVP_WARNING_DAYS)
    return [
        UpcomingMeeting(
            meeting=m, invited=m.invited_count, answered=m.answered_count, accepted=m.accepted_count,
            soon=m.start <= soon,
        )
        for m in meetings
    ]


@dataclass
class FollowUpRow:
    follow_up: FollowUp
    days_overdue: int


def overdue_follow_ups(scope: Scope, *, today=None, limit=LIST_LIMIT):
    """Open follow-ups past their due date, longest overdue first: (rows, total)."""
    today = today or timezone.localdate()
    follow_ups = (
        FollowUp.objects.filter(scope.board_q("board__"), status=FollowUp.Status.OPEN, due_date__lt=today)
        .exclude(meeting__status=Meeting.Status.CANCELLED)
    )
    rows = follow_ups.select_related("board", "meeting").order_by("due_date", "pk")[:limit]
    return [FollowUpRow(f, (today - f.due_date).days) for f in rows], follow_ups.count()


# --- proposals -------------------------------------------------------------------------------


@dataclass
class Cell:
    count: int
    url: str | None = None


@dataclass
class AwaitingRow:
    status: str
    label: str
    cells: list  # one Cell per age bucket
    total: Cell


def proposals_awaiting(scope: Scope, *, now=None):
    """Proposals waiting for action, by state and by days in that state, in one query."""
    now = now or timezone.now()
    edges = [now - datetime.timedelta(days=days) for days in AGE_EDGES]
    buckets = {
        "age_0": Q(status_changed_at__gt=edges[0]),
        "age_1": Q(status_changed_at__lte=edges[0], status_changed_at__gt=edges[1]),
        "age_2": Q(status_changed_at__lte=edges[1], status_changed_at__gt=edges[2]),
        "age_3": Q(status_changed_at__lte=edges[2]),
    }
    rows = (
        scope.proposals()
        .annotate(shown=scope.shown_status())
        .filter(shown__in=AWAITING)
        .values("shown")
        .annotate(total=Count("pk"), **{name: Count("pk", filter=q) for name, q in buckets.items()})
        .order_by()
    )
    by_status = {row["shown"]: row for row in rows}
    result = []
    for status in AWAITING:
        row = by_status.get(status, {})
        # The queue filters by state, not by age: every cell of a row opens the same list.
        url = scope.queue_url(status=status)
        result.append(AwaitingRow(
            status=status,
            label=S(status).label,
            cells=[Cell(row.get(name, 0), url) for name in buckets],
            total=Cell(row.get("total", 0), url),
        ))
    return result


@dataclass
class BudgetRow:
    label: str
    count: int = 0
    requested: int = 0
    approved: int = 0
    realised: int = 0
    url: str | None = None

    def add(self, other):
        self.count += other.count
        self.requested += other.requested
        self.approved += other.approved
        self.realised += other.realised


def _budget(scope, which, *group_by):
    """Sums over the proposals ``which`` selects (drafts and withdrawn ones left out) grouped by ``group_by``."""
    approved = scope.approved_q()
    return (
        scope.proposals()
        .filter(which)
        .counting_for_cap()
        .values(*group_by)
        .annotate(
            count=Count("pk"),
            requested=Sum("total_requested"),
            approved=Sum("approved_budget", filter=approved),
            realised=Sum("spent", filter=approved),
        )
        .order_by()
    )


def _budget_row(label, row, url):
    row = row or {}
    return BudgetRow(
        label=label, count=row.get("count") or 0, requested=row.get("requested") or 0,
        approved=row.get("approved") or 0, realised=row.get("realised") or 0, url=url,
    )


@dataclass
class Budget:
    cycle: Cycle
    by_kecamatan: list  # the first ``limit`` kecamatan, in code order
    by_category: list
    by_kind: list
    total: BudgetRow
    kecamatan_count: int = 0  # every kecamatan of the scope, shown or not

    @property
    def more_kecamatan(self):
        return self.kecamatan_count > len(self.by_kecamatan)


def budget(scope: Scope, *, cycle, kecamatan, categories, limit=LIST_LIMIT):
    """Requested, approved and realised budget of a cycle by kecamatan, by field and physical or not.

    Only the first ``limit`` kecamatan get a row (all of them with ``limit=None``); the totals, by field and by
    kind, count every proposal of the scope.
    """
    which = Q(cycle=cycle)
    shown = kecamatan if limit is None else kecamatan[:limit]
    by_kec = {
        row["board__region__parent_id"]: row
        for row in _budget(scope, which & Q(board__region__parent_id__in=[k.pk for k in shown]),
                           "board__region__parent_id")
    }
    # Field and kind from one grouping: each cell of it is one field's physical or non-physical proposals.
    by_cat, by_kind = {}, {}
    for row in _budget(scope, which, "category_id", "is_physical"):
        for key, sums in ((row["category_id"], by_cat), (row["is_physical"], by_kind)):
            into = sums.setdefault(key, {"count": 0, "requested": 0, "approved": 0, "realised": 0})
            for name in into:
                into[name] += row[name] or 0

    def link(**params):
        # Every state of the cycle: the queue alone would show only what awaits staff.
        return scope.queue_url(status=ALL_STATUSES, cycle=cycle.pk, **params)

    kec_rows = [_budget_row(k.name, by_kec.get(k.pk), link(kecamatan=k.pk)) for k in shown]
    cat_rows = [
        _budget_row(c.name, by_cat.get(c.pk), link(category=c.pk)) for c in categories if c.is_active or c.pk in by_cat
    ]
    kind_rows = [
        _budget_row(_("Kegiatan fisik"), by_kind.get(True), link(physical=1)),
        _budget_row(_("Kegiatan nonfisik"), by_kind.get(False), link(physical=0)),
    ]
    total = BudgetRow(label=_("Jumlah"), url=link())
    for row in kind_rows:
        total.add(row)
    return Budget(cycle=cycle, by_kecamatan=kec_rows, by_category=cat_rows, by_kind=kind_rows, total=total,
                  kecamatan_count=len(kecamatan))


def in_implementation(scope: Scope, *, limit=LIST_LIMIT):
    """Programs being carried out, least advanced first: (proposals, total)."""
    proposals = scope.proposals().filter(status=S.IN_PROGRESS)
    order = ("progress_percent", "status_changed_at", "pk")
    # The page's rows are chosen on the narrow proposal rows first, then joined to what they show: joining
    # first would carry every program in progress in the country through the sort.
    first = proposals.order_by(*order).values("pk")[:limit]
    rows = list(Proposal.objects.filter(pk__in=first).select_related("board", "category", "cycle").order_by(*order))
    return rows, proposals.count()


# --- boards -------------------------------------------------------------------------------------

# What the full list of boards needing attention can be narrowed to (``?semua=kesehatan&masalah=...``);
# "term" stands for both term_ending and term_ended.
ISSUES = ("no_ketua", "term", "no_login", "missed")
ISSUE_LABELS = {
    "no_ketua": _("Tanpa Ketua aktif"),
    "no_login": _("Tidak ada pengurus yang dapat masuk portal"),
    "missed": _("Tidak hadir di dua rapat terakhir"),
}
# What each count on the dashboard says after its number.
COUNT_LABELS = {
    "no_ketua": _("tanpa Ketua aktif"),
    "term": _("masa bakti berakhir dalam 90 hari atau sudah berakhir"),
    "no_login": _("tanpa pengurus yang dapat masuk portal"),
    "missed": _("tidak hadir di dua rapat terakhir"),
}


@dataclass
class BoardIssue:
    code: str
    label: str


@dataclass
class HealthRow:
    """A board that needs attention, before the board itself is read: its issue codes and the term end shown."""

    board_id: int
    codes: tuple
    term_end: datetime.date | None = None

    def has(self, issue):
        return any(code.startswith(issue) for code in self.codes) if issue == "term" else issue in self.codes

    def issues(self):
        return [
            BoardIssue(code, _("Masa bakti berakhir %(date)s") % {"date": formats.date_long(self.term_end)}
                       if code.startswith("term") else ISSUE_LABELS[code])
            for code in self.codes
        ]


@dataclass
class BoardHealth:
    boards: int = 0
    no_ketua: int = 0
    term: int = 0
    no_login: int = 0
    missed: int = 0
    issue: str | None = None  # the list below holds only the boards with this issue
    rows: list = field(default_factory=list)  # a HealthRow for every board listed, in region order
    flagged: list = field(default_factory=list)  # the boards of the first ``limit`` rows, each with .issues

    @property
    def total(self):
        return len(self.rows)

    @property
    def more(self):
        return len(self.rows) > len(self.flagged)

    @property
    def counts(self):
        """(issue, how many boards have it, what the number counts) for each issue."""
        return [(issue, getattr(self, issue), COUNT_LABELS[issue]) for issue in ISSUES]


def _taken(meeting="pk"):
    """Invitations that prove the meeting's attendance was taken (an unfilled sheet proves nothing)."""
    return Invitation.objects.filter(meeting=OuterRef(meeting)).exclude(attendance="")


def _plain_rows(queryset):
    """The rows of a values_list() query of plain integers as the database driver returns them.

    For the queries below that read tens of thousands of (board, meeting) rows: Django's per-row conversions
    would cost more than the query itself.
    """
    try:
        sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _per_board_and_meeting(invitations, *fields):
    """(board id, meeting id, *fields, invited, present, marked) per board and meeting of ``invitations``.

    Invited counts invitees, not walk-ins; present counts anyone of the board marked present, walk-ins too;
    marked counts the board's rows with any mark, which proves the meeting's attendance was taken.
    """
    return (
        invitations.values_list("board_id", "meeting_id", *fields)
        .annotate(
            invited=Count("pk", filter=Q(is_walk_in=False)),
            present=Count("pk", filter=Q(attendance=Invitation.Attendance.PRESENT)),
            marked=Count("pk", filter=~Q(attendance="")),
        )
        .order_by()
    )


def absent_lately(board_ids, *, now, whole_history=False):
    """The boards of ``board_ids`` nobody of which was present at the last two meetings they were invited to.

    Counted are meetings held before ``now``, not cancelled and whose attendance was taken (an unfilled sheet
    proves nothing). A board is absent when it was invited to two such meetings and no one of it was marked
    present at the second-last one or at any meeting after it: in other words when at least two of them came
    after its last presence.

    Rather than walking each board's meetings, the boards are read together: first the meetings of the last
    HEALTH_WINDOW_DAYS, which settle nearly every board (see below), then the older meetings of the few boards
    left; a last query checks, if need be, which of those older meetings had their attendance taken. With
    ``whole_history`` (a kecamatan's few boards) their whole history is read at once instead. At most four
    queries whatever the number of boards and meetings.
    """
    wanted = set(board_ids)
    invited = {}  # board id: [(start, None if the meeting's sheet is known to be filled in, else its id)]
    last_present = {}  # board id: start of the latest meeting where someone of it was present

    def add(board_id, start, meeting_id, was_invited, was_present, taken):
        if was_invited:
            invited.setdefault(board_id, []).append((start, None if taken else meeting_id))
        # Someone present proves the sheet was filled in.
        if was_present and (board_id not in last_present or start > last_present[board_id]):
            last_present[board_id] = start

    held = Invitation.objects.filter(meeting__start__lt=now).exclude(meeting__status=Meeting.Status.CANCELLED)
    older = held
    if whole_history:
        unsettled = sorted(wanted)
    else:
        since = now - datetime.timedelta(days=HEALTH_WINDOW_DAYS)
        recent = dict(
            Meeting.objects.filter(start__gte=since, start__lt=now).exclude(status=Meeting.Status.CANCELLED)
            .values_list("pk", "start")
        )
        # Every invitation of those meetings, guests' too: any mark on any of them proves the sheet was filled in.
        rows = _plain_rows(_per_board_and_meeting(held.filter(meeting__start__gte=since)))
        taken = {meeting_id for _board_id, meeting_id, _invited, _present, marked in rows if marked}
        for board_id, meeting_id, was_invited, was_present, _marked in rows:
            # (``recent`` lacks a meeting saved since it was read: the next reading counts it.)
            if board_id not in wanted or meeting_id not in taken or meeting_id not in recent:
                continue
            start = recent[meeting_id]
            if was_invited:  # as add(), inlined for the tens of thousands of rows
                invited.setdefault(board_id, []).append((start, None))
            if was_present and (board_id not in last_present or start > last_present[board_id]):
                last_present[board_id] = start
        # Invited to two meetings in the window: the second-last is one of them, and any presence since is in
        # the window too. Someone present in the window: an older second-last meeting came before it. Only
        # the boards with neither need their older meetings.
        unsettled = [pk for pk in wanted if pk not in last_present and len(invited.get(pk, ())) < 2]
        older = held.filter(meeting__start__lt=since)
    if unsettled:
        rows = _per_board_and_meeting(older.filter(board_id__in=unsettled), "meeting__start")
        for board_id, meeting_id, start, was_invited, was_present, marked in rows:
            add(board_id, start, meeting_id, was_invited, was_present, marked > 0)
    absent = set()
    pending = {}  # board id: (meetings after its last presence known to count, ids of those not known yet)
    for board_id, meetings in invited.items():
        present = last_present.get(board_id)
        after = [m for start, m in meetings if present is None or start > present]
        known = after.count(None)
        if known >= 2:
            absent.add(board_id)
        elif len(after) >= 2:
            pending[board_id] = (known, [m for m in after if m is not None])
    if pending:
        ids = {m for _known, unknown in pending.values() for m in unknown}
        were_taken = set(Meeting.objects.filter(pk__in=ids).filter(Exists(_taken())).values_list("pk", flat=True))
        for board_id, (known, unknown) in pending.items():
            if known + sum(1 for m in unknown if m in were_taken) >= 2:
                absent.add(board_id)
    return absent


def _in(memberships):
    """Whether the board is one of those of ``memberships``."""
    return Case(When(pk__in=memberships.values("board_id"), then=Value(True)), default=Value(False),
                output_field=BooleanField())


def board_health(scope: Scope, *, today=None, now=None, issue=None, limit=LIST_LIMIT):
    """Kelurahan boards that need attention: how many for each reason, and the first ``limit`` of them.

    A board is flagged when it has no active Ketua, when an active term ends within TERM_ENDING_SOON_DAYS or
    its last term has already ended, when none of its active pengurus has an account that can log in, or when
    nobody of it was present at the last two meetings it was invited to (``absent_lately``). ``rows`` lists
    every flagged board (with ``issue``, those with that issue) in region order; ``flagged`` holds the boards
    of its first ``limit`` rows (none with ``limit=0``; ``health_boards`` reads any other slice). A fixed
    number of queries whatever the number of boards.
    """
    now = now or timezone.now()
    today = today or timezone.localdate()
    soon = today + datetime.timedelta(days=settings.TERM_ENDING_SOON_DAYS)
    active = Membership.objects.active(today)
    # The rules of organizations.selectors.with_health, without its count of officers: a board has none
    # active exactly when the earliest end among its active terms is missing. "id IN (...)" rather than
    # EXISTS: PostgreSQL runs either once as a hashed subplan, but prices EXISTS per board, and a high enough
    # price (some 4,000 boards) switches on its JIT compiler, which costs more than the query.
    facts = list(
        scope.boards(Board.objects.kelurahan())
        .annotate(
            has_ketua=_in(active.filter(position=Membership.Position.KETUA)),
            can_log_in=_in(active.filter(person__user__isnull=False, person__user__is_active=True)),
            next_term_end=Subquery(active.filter(board=OuterRef("pk")).order_by("end_date").values("end_date")[:1]),
            last_term_end=Subquery(
                Membership.objects.filter(board=OuterRef("pk")).order_by("-end_date").values("end_date")[:1]
            ),
        )
        .order_by("region__code")
        .values_list("pk", "has_ketua", "can_log_in", "next_term_end", "last_term_end")
    )
    absent = absent_lately([row[0] for row in facts], now=now, whole_history=not scope.is_city)
    health = BoardHealth(boards=len(facts), issue=issue)
    for pk, has_ketua, can_log_in, next_term_end, last_term_end in facts:
        codes, term_end = [], None
        if not has_ketua:
            codes.append("no_ketua")
            health.no_ketua += 1
        term_ended = next_term_end is None and last_term_end is not None and last_term_end < today
        if term_ended or (next_term_end is not None and next_term_end <= soon):
            codes.append("term_ended" if term_ended else "term_ending")
            term_end = last_term_end if term_ended else next_term_end
            health.term += 1
        if not can_log_in:
            codes.append("no_login")
            health.no_login += 1
        if pk in absent:
            codes.append("missed")
            health.missed += 1
        row = HealthRow(pk, tuple(codes), term_end)
        if codes and (issue is None or row.has(issue)):
            health.rows.append(row)
    health.flagged = health_boards(health.rows[:limit])
    return health


def health_boards(rows):
    """The boards of ``rows`` (HealthRow), in that order, with their region and kecamatan and ``.issues``."""
    boards = Board.objects.select_related("region__parent").in_bulk([row.board_id for row in rows])
    result = []
    for row in rows:
        board = boards[row.board_id]
        board.issues = row.issues()
        result.append(board)
    return result


@dataclass
class WomenRow:
    label: str
    pengurus: int = 0
    women: int = 0
    ketua: int = 0
    ketua_women: int = 0

    @property
    def share(self):
        """Women among the pengurus, percent with one decimal."""
        return percent(self.women, self.pengurus, 1)

    @property
    def ketua_share(self):
        return percent(self.ketua_women, self.ketua, 1)

    def add(self, other):
        self.pengurus += other.pengurus
        self.women += other.women
        self.ketua += other.ketua
        self.ketua_women += other.ketua_women


@dataclass
class Women:
    by_kecamatan: list  # the first ``limit`` kecamatan, in code order
    total: WomenRow  # every kecamatan of the scope
    kecamatan_count: int = 0

    @property
    def more_kecamatan(self):
        return self.kecamatan_count > len(self.by_kecamatan)


def women_representation(scope: Scope, *, kecamatan, today=None, limit=LIST_LIMIT):
    """Women among the active pengurus of the kelurahan LPMs, per kecamatan and in all, and among Ketua.

    One grouped query whatever the number of kecamatan; only the first ``limit`` get a row (all of them with
    ``limit=None``), the total counts them all.
    """
    today = today or timezone.localdate()
    women = Q(person__gender=Person.Gender.FEMALE)
    ketua = Q(position=Membership.Position.KETUA)
    memberships = Membership.objects.active(today).filter(board__kind=Board.Kind.LPM)
    if not scope.is_city:
        memberships = memberships.filter(board__region__parent_id__in=list(scope.kecamatan_ids))
    rows = {
        row["board__region__parent_id"]: row
        for row in memberships.values("board__region__parent_id")
        .annotate(
            pengurus=Count("pk"), women=Count("pk", filter=women),
            ketua=Count("pk", filter=ketua), ketua_women=Count("pk", filter=ketua & women),
        )
        .order_by()
    }
    total = WomenRow(label=_("Seluruh kota") if scope.is_city else _("Jumlah"))
    result = []
    for k in kecamatan:
        row = rows.get(k.pk, {})
        item = WomenRow(label=k.name, pengurus=row.get("pengurus", 0), women=row.get("women", 0),
                        ketua=row.get("ketua", 0), ketua_women=row.get("ketua_women", 0))
        total.add(item)
        result.append(item)
    return Women(by_kecamatan=result if limit is None else result[:limit], total=total, kecamatan_count=len(result))


def _taken_invitations(*, since, until):
    """The invitations meetings.selectors.attendance_rate_by_board counts: invitees (not walk-ins) of a meeting
    that started in [since, until), was not cancelled and had its attendance taken."""
    return (
        Invitation.objects.filter(is_walk_in=False, meeting__start__gte=since, meeting__start__lt=until)
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .filter(Exists(_taken("meeting_id")))
    )


def attendance_rates(board_ids, *, since, until):
    """meetings.selectors.attendance_rate_by_board for the boards ``board_ids`` alone, read through their own
    invitations (the board index) instead of every invitation of the period: one query, by board name."""
    rows = (
        _taken_invitations(since=since, until=until).filter(board_id__in=list(board_ids))
        .values("board_id", "board__name")
        .annotate(
            meetings=Count("meeting", distinct=True),
            invited=Count("pk"),
            present=Count("pk", filter=Q(attendance=Invitation.Attendance.PRESENT)),
        )
        .order_by("board__name", "board_id")
    )
    return [
        BoardAttendance(board_id=row["board_id"], board_name=row["board__name"], meetings=row["meetings"],
                        invited=row["invited"], present=row["present"])
        for row in rows
    ]


def attendance_boards(scope: Scope, *, since, until):
    """Boards of the scope with an attendance rate over [since, until), by name (as the rates are listed)."""
    counted = _taken_invitations(since=since, until=until).filter(board=OuterRef("pk"))
    return scope.boards().filter(Exists(counted)).order_by("name", "pk")


def attendance_period(now):
    return now - datetime.timedelta(days=ATTENDANCE_DAYS), now


def attendance_by_board(scope: Scope, *, now=None, limit=LIST_LIMIT):
    """Attendance rate over the last twelve months of the first ``limit`` boards (by name) that have one:
    (rows, whether more boards have one).

    Nearly every board met in a year, so the rates of the first boards by name are read first: two queries,
    through those boards' own invitations. Only when too few of them have a rate are the boards that do
    looked up among all of the scope's (two more queries).
    """
    since, until = attendance_period(now or timezone.now())
    wanted = limit + 1  # one more than shown tells whether there are more
    first = list(scope.boards().order_by("name", "pk").values_list("pk", flat=True)[:wanted + ATTENDANCE_SLACK])
    rows = attendance_rates(first, since=since, until=until)
    if len(rows) < wanted and len(first) == wanted + ATTENDANCE_SLACK:
        # Boards after the first ones may have a rate: any board that has one comes after them by name.
        boards = attendance_boards(scope, since=since, until=until).values_list("pk", flat=True)[:wanted]
        rows = attendance_rates(list(boards), since=since, until=until)
    return rows[:limit], len(rows) > limit


# --- the whole dashboard ---------------------------------------------------------------------------


def cycles():
    return list(Cycle.objects.order_by("-opens_on", "-pk"))


def choose_cycle(all_cycles, wanted):
    """The cycle asked for by id, else the latest one (None when there is none)."""
    for cycle in all_cycles:
        if str(cycle.pk) == str(wanted):
            return cycle
    return all_cycles[0] if all_cycles else None


def dashboard(scope: Scope, *, cycle=None, now=None):
    """Every section of the dashboard for ``scope``.

    Each section is the same for everyone with the same scope: without an explicit ``now`` each is shared
    through the cache (``portal.lib.cache.shared``) while no table it read has changed and for at most
    ``PAGE_CACHE_SECONDS`` (the clock moves ages and "the next three days"), so a second reader of the city
    or of a kecamatan pays for none of the counting, and a change recomputes only the sections that read
    what changed.
    """
    if now is None:
        def section(name, compute, *parts):
            key = ":".join(map(str, (name, _scope_key(scope), *parts, timezone.localdate(),
                                     translation.get_language(), user_cache.release())))
            return user_cache.shared(key, lambda: compute(timezone.now()), settings.PAGE_CACHE_SECONDS)
    else:
        def section(name, compute, *parts):
            return compute(now)

    today = timezone.localdate(now)
    kecamatan = section("kecamatan", lambda now: list(scope.kecamatan()))
    in_progress, in_progress_total = section("in_progress", lambda now: in_implementation(scope))
    follow_ups, follow_ups_total = section("follow_ups", lambda now: overdue_follow_ups(scope, today=today))
    upcoming = section("upcoming", lambda now: upcoming_meetings(scope, now=now))
    attendance, attendance_more = section("attendance", lambda now: attendance_by_board(scope, now=now))
    return {
        "kecamatan_names": [] if scope.is_city else [k.name for k in kecamatan],
        "upcoming": upcoming,
        "rsvp_warnings": [row for row in upcoming if row.warning],
        "awaiting": section("awaiting", lambda now: proposals_awaiting(scope, now=now)),
        "age_labels": AGE_LABELS,
        "budget": section("budget", lambda now: budget(scope, cycle=cycle, kecamatan=kecamatan,
                                                       categories=list(Category.objects.all())), cycle.pk)
        if cycle else None,
        "in_progress": in_progress,
        "in_progress_total": in_progress_total,
        "in_progress_url": scope.queue_url(status=S.IN_PROGRESS),
        "follow_ups": follow_ups,
        "follow_ups_total": follow_ups_total,
        "health": section("health", lambda now: board_health(scope, today=today, now=now)),
        "women": section("women", lambda now: women_representation(scope, kecamatan=kecamatan, today=today)),
        "attendance": attendance,
        "attendance_more": attendance_more,
    }


def _scope_key(scope):
    kecamatan = "city" if scope.kecamatan_ids is None else ",".join(map(str, sorted(scope.kecamatan_ids)))
    return f"{kecamatan}:{int(scope.sees_decisions)}:{int(scope.links_to_queue)}"


# --- an officer's own board ---------------------------------------------------------------------------


@dataclass
class BoardNumbers:
    board: Board
    pengurus: int = 0
    women: int = 0
    attendance: object = None  # meetings.selectors.BoardAttendance or None
    proposals: int = 0
    awaiting: int = 0
    revision: int = 0
    approved: int = 0
    in_progress: int = 0
    done: int = 0
    approved_budget: int = 0
    realised: int = 0
    follow_ups_open: int = 0
    follow_ups_overdue: int = 0

    @property
    def women_share(self):
        return percent(self.women, self.pengurus, 1)


def board_numbers(access, *, now=None):
    """The numbers of the officer's own boards for their home page, in five queries whatever the count.

    Decisions not yet published count as awaiting, as the board sees them.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    ids = sorted(access.board_ids)
    if not ids:
        return []
    scope = Scope(kecamatan_ids=None, sees_decisions=access.sees_everything, links_to_queue=False)
    boards = {b.pk: BoardNumbers(board=b) for b in Board.objects.filter(pk__in=ids).order_by("region__code", "kind")}
    for row in (
        Membership.objects.active(today).filter(board_id__in=ids).values("board_id")
        .annotate(pengurus=Count("pk"), women=Count("pk", filter=Q(person__gender=Person.Gender.FEMALE)))
        .order_by()
    ):
        boards[row["board_id"]].pengurus = row["pengurus"]
        boards[row["board_id"]].women = row["women"]
    approved = scope.approved_q()
    for row in (
        Proposal.objects.filter(board_id__in=ids).exclude(status__in=[S.DRAFT, S.WITHDRAWN])
        .annotate(shown=scope.shown_status()).values("board_id")
        .annotate(
            proposals=Count("pk"),
            awaiting=Count("pk", filter=Q(shown__in=[S.SUBMITTED, S.UNDER_REVIEW])),
            revision=Count("pk", filter=Q(shown=S.REVISION_REQUESTED)),
            approved=Count("pk", filter=approved),
            in_progress=Count("pk", filter=Q(status=S.IN_PROGRESS)),
            done=Count("pk", filter=Q(status__in=DONE)),
            approved_budget=Sum("approved_budget", filter=approved),
            realised=Sum("spent", filter=approved),
        )
        .order_by()
    ):
        numbers = boards[row["board_id"]]
        for name in ("proposals", "awaiting", "revision", "approved", "in_progress", "done"):
            setattr(numbers, name, row[name])
        numbers.approved_budget = row["approved_budget"] or 0
        numbers.realised = row["realised"] or 0
    for row in (
        FollowUp.objects.filter(board_id__in=ids, status=FollowUp.Status.OPEN)
        .exclude(meeting__status=Meeting.Status.CANCELLED).values("board_id")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today)))
        .order_by()
    ):
        boards[row["board_id"]].follow_ups_open = row["open"]
        boards[row["board_id"]].follow_ups_overdue = row["overdue"]
    since, until = attendance_period(now)
    for row in attendance_rates(ids, since=since, until=until):
        boards[row.board_id].attendance = row
    return list(boards.values())


# --- the recap (Rekap Kegiatan LPM) -------------------------------------------------------------------


def _start_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=formats.WITA)


@dataclass
class Period:
    label: str
    start: datetime.datetime
    end: datetime.datetime  # exclusive
    proposals: Q  # which proposals belong to it


def period_of(*, cycle=None, year=None) -> Period:
    """A cycle runs from the opening of submissions to the end of its budget year; a year is a calendar year."""
    if cycle is not None:
        return Period(
            label=cycle.name, start=_start_of(cycle.opens_on),
            end=_start_of(datetime.date(cycle.year + 1, 1, 1)), proposals=Q(cycle=cycle),
        )
    return Period(
        label=_("Tahun %(year)s") % {"year": year}, start=_start_of(datetime.date(year, 1, 1)),
        end=_start_of(datetime.date(year + 1, 1, 1)), proposals=Q(cycle__year=year),
    )


@dataclass
class MeetingRow:
    meeting: Meeting
    invited: int
    present: int
    taken: bool

    @property
    def rate(self):
        return percent(self.present, self.invited) if self.taken else None


@dataclass
class StatusRow:
    status: str
    label: str
    count: int
    requested: int
    approved: int


def recap(scope: Scope, *, cycle=None, year=None, now=None):
    """Everything the recap prints, in a fixed number of queries."""
    now = now or timezone.now()
    period = period_of(cycle=cycle, year=year)
    until = min(period.end, now)
    invited = Q(invitations__is_walk_in=False) & scope.board_q("invitations__board__")
    meetings = Meeting.objects.filter(start__gte=period.start, start__lt=until).exclude(
        status=Meeting.Status.CANCELLED
    )
    if not scope.is_city:
        meetings = meetings.filter(
            Exists(Invitation.objects.filter(scope.board_q("board__"), meeting=OuterRef("pk")))
        )
    meetings = meetings.annotate(
        invited_count=Count("invitations", filter=invited),
        present_count=Count("invitations", filter=invited & Q(invitations__attendance=Invitation.Attendance.PRESENT)),
        taken_count=Count("invitations", filter=~Q(invitations__attendance="")),
    ).order_by("start", "pk")
    meeting_rows = [MeetingRow(m, m.invited_count, m.present_count, m.taken_count > 0) for m in meetings]
    taken = [row for row in meeting_rows if row.taken]
    attendance = {
        "meetings": len(meeting_rows),
        "taken": len(taken),
        "invited": sum(row.invited for row in taken),
        "present": sum(row.present for row in taken),
    }
    attendance["rate"] = percent(attendance["present"], attendance["invited"])

    approved = scope.approved_q()
    proposals = scope.proposals().filter(period.proposals).exclude(status=S.WITHDRAWN)
    by_status = {
        row["shown"]: row
        for row in proposals.annotate(shown=scope.shown_status()).values("shown")
        .annotate(count=Count("pk"), requested=Sum("total_requested"), approved=Sum("approved_budget", filter=approved))
        .order_by()
    }
    status_rows = [
        StatusRow(status=s, label=S(s).label, count=by_status[s]["count"], requested=by_status[s]["requested"] or 0,
                  approved=by_status[s]["approved"] or 0)
        for s in S.values if s in by_status
    ]
    kecamatan = list(scope.kecamatan())
    which = period.proposals
    by_kec = {row["board__region__parent_id"]: row for row in _budget(scope, which, "board__region__parent_id")}
    by_cat = {row["category_id"]: row for row in _budget(scope, which, "category_id")}
    categories = list(Category.objects.all())
    kec_rows = [_budget_row(k.name, by_kec.get(k.pk), None) for k in kecamatan]
    cat_rows = [_budget_row(c.name, by_cat.get(c.pk), None) for c in categories if c.is_active or c.pk in by_cat]
    total = BudgetRow(label=_("Jumlah"))
    for row in kec_rows:
        total.add(row)
    completed = list(
        scope.proposals().filter(period.proposals, status__in=DONE)
        .select_related("board__region__parent", "category", "evaluation")
        .order_by("board__region__code", "priority", "pk")
    )
    if scope.is_city:
        boards = attendance_rate_by_board(since=period.start, until=until)
    else:
        boards = attendance_rates(scope.boards().values_list("pk", flat=True), since=period.start, until=until)
    return {
        "period": period,
        "meetings": meeting_rows,
        "attendance": attendance,
        "board_attendance": boards,
        "by_status": status_rows,
        "by_kecamatan": kec_rows,
        "by_category": cat_rows,
        "budget_total": total,
        "completed": completed,
        "evaluated": [p for p in completed if hasattr(p, "evaluation")],
    }

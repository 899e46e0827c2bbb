"""Reads for the dashboard, an officer's own numbers and the recap.

Every function answers in a fixed number of queries (aggregates grouped in the
database, subqueries rather than loops), so the dashboard costs the same for 6
boards or 400. A ``Scope`` says which part of the city is read: staff see all
of it, a kecamatan coordinator only their kecamatan, and only staff see a
decision before it is published (the rule of ``Access.sees_decision``).
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, Subquery, Sum, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from meetings.models import FollowUp, Invitation, Meeting
from meetings.selectors import attendance_rate_by_board
from organizations.models import Board, Membership, Person, Region
from organizations.selectors import with_health
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
LIST_LIMIT = 25
ATTENDANCE_DAYS = 365


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
    meetings = meetings.annotate(
        invited_count=Count("invitations", filter=invited),
        answered_count=Count("invitations", filter=invited & Q(invitations__rsvp__in=answered)),
        accepted_count=Count(
            "invitations",
            filter=invited & Q(invitations__rsvp__in=[Invitation.Rsvp.ACCEPTED, Invitation.Rsvp.DELEGATED]),
        ),
    ).order_by("start", "pk")[:limit]
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


def _budget(scope, which, group_by):
    """Sums over the proposals ``which`` selects (drafts and withdrawn ones left out) grouped by ``group_by``."""
    approved = scope.approved_q()
    return (
        scope.proposals()
        .filter(which)
        .counting_for_cap()
        .values(group_by)
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
    by_kecamatan: list
    by_category: list
    by_kind: list
    total: BudgetRow


def budget(scope: Scope, *, cycle, kecamatan, categories):
    """Requested, approved and realised budget of a cycle by kecamatan, by field and physical or not."""
    which = Q(cycle=cycle)
    by_kec = {row["board__region__parent_id"]: row for row in _budget(scope, which, "board__region__parent_id")}
    by_cat = {row["category_id"]: row for row in _budget(scope, which, "category_id")}
    by_kind = {row["is_physical"]: row for row in _budget(scope, which, "is_physical")}

    def link(**params):
        # Every state of the cycle: the queue alone would show only what awaits staff.
        return scope.queue_url(status=ALL_STATUSES, cycle=cycle.pk, **params)

    kec_rows = [_budget_row(k.name, by_kec.get(k.pk), link(kecamatan=k.pk)) for k in kecamatan]
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
    return Budget(cycle=cycle, by_kecamatan=kec_rows, by_category=cat_rows, by_kind=kind_rows, total=total)


def in_implementation(scope: Scope, *, limit=LIST_LIMIT):
    """Programs being carried out, least advanced first: (proposals, total)."""
    proposals = scope.proposals().filter(status=S.IN_PROGRESS)
    rows = list(
        proposals.select_related("board", "category", "cycle").order_by("progress_percent", "status_changed_at",
                                                                        "pk")[:limit]
    )
    return rows, proposals.count()


# --- boards -------------------------------------------------------------------------------------


@dataclass
class BoardIssue:
    code: str
    label: str


@dataclass
class BoardHealth:
    boards: int = 0
    flagged: list = field(default_factory=list)  # boards, each with .issues
    no_ketua: int = 0
    term: int = 0
    no_login: int = 0
    missed: int = 0


def _meetings_of_board(now):
    """Meetings the board (the outer query's row) was invited to, held and with attendance taken, latest first."""
    taken = Invitation.objects.filter(meeting=OuterRef("pk")).exclude(attendance="")
    invited = Invitation.objects.filter(meeting=OuterRef("pk"), board=OuterRef(OuterRef("pk")), is_walk_in=False)
    return (
        Meeting.objects.filter(start__lt=now)
        .exclude(status=Meeting.Status.CANCELLED)
        .filter(Exists(taken), Exists(invited))
        .order_by("-start", "-pk")
    )


def board_health(scope: Scope, *, today=None, now=None):
    """Kelurahan boards that need attention, in one query.

    A board is flagged when it has no active Ketua, when an active term ends
    within TERM_ENDING_SOON_DAYS or its last term has already ended, when none
    of its active pengurus has an account that can log in, or when nobody of
    it was present at the last two meetings it was invited to (meetings whose
    attendance was taken: an unfilled sheet proves nothing).
    """
    now = now or timezone.now()
    today = today or timezone.localdate()
    active = Membership.objects.active(today).filter(board=OuterRef("pk"))
    present = Invitation.objects.filter(
        board=OuterRef("pk"), attendance=Invitation.Attendance.PRESENT,
        meeting__start__gte=OuterRef("second_last_meeting"), meeting__start__lt=now,
    ).exclude(meeting__status=Meeting.Status.CANCELLED)
    boards = (
        with_health(scope.boards(Board.objects.kelurahan()), on=today)
        .annotate(
            can_log_in=Exists(active.filter(person__user__isnull=False, person__user__is_active=True)),
            next_term_end=Subquery(active.order_by("end_date").values("end_date")[:1]),
            last_term_end=Subquery(
                Membership.objects.filter(board=OuterRef("pk")).order_by("-end_date").values("end_date")[:1]
            ),
            second_last_meeting=Subquery(_meetings_of_board(now).values("start")[1:2]),
        )
        .annotate(present_lately=Exists(present))
        .order_by("region__code")
    )
    health = BoardHealth()
    for board in boards:
        health.boards += 1
        issues = []
        if not board.has_ketua:
            issues.append(BoardIssue("no_ketua", _("Tanpa Ketua aktif")))
            health.no_ketua += 1
        term_ended = board.officer_count == 0 and board.last_term_end is not None and board.last_term_end < today
        if board.term_ending_soon or term_ended:
            if term_ended:
                label = _("Masa bakti berakhir %(date)s") % {"date": formats.date_long(board.last_term_end)}
            else:
                label = _("Masa bakti berakhir %(date)s") % {"date": formats.date_long(board.next_term_end)}
            issues.append(BoardIssue("term_ended" if term_ended else "term_ending", label))
            health.term += 1
        if not board.can_log_in:
            issues.append(BoardIssue("no_login", _("Tidak ada pengurus yang dapat masuk portal")))
            health.no_login += 1
        if board.second_last_meeting is not None and not board.present_lately:
            issues.append(BoardIssue("missed", _("Tidak hadir di dua rapat terakhir")))
            health.missed += 1
        if issues:
            board.issues = issues
            health.flagged.append(board)
    return health


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
    by_kecamatan: list
    total: WomenRow


def women_representation(scope: Scope, *, kecamatan, today=None):
    """Women among the active pengurus of the kelurahan LPMs, per kecamatan and in all, and among Ketua."""
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
    return Women(by_kecamatan=result, total=total)


def attendance_by_board(scope: Scope, *, now=None):
    """Attendance rate per board over the last twelve months (meetings.selectors does the counting)."""
    now = now or timezone.now()
    rows = attendance_rate_by_board(since=now - datetime.timedelta(days=ATTENDANCE_DAYS), until=now)
    if scope.is_city:
        return rows
    in_scope = set(scope.boards().values_list("pk", flat=True))
    return [row for row in rows if row.board_id in in_scope]


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
    now = now or timezone.now()
    today = timezone.localdate(now)
    kecamatan = list(scope.kecamatan())
    in_progress, in_progress_total = in_implementation(scope)
    follow_ups, follow_ups_total = overdue_follow_ups(scope, today=today)
    upcoming = upcoming_meetings(scope, now=now)
    return {
        "upcoming": upcoming,
        "rsvp_warnings": [row for row in upcoming if row.warning],
        "awaiting": proposals_awaiting(scope, now=now),
        "age_labels": AGE_LABELS,
        "budget": budget(scope, cycle=cycle, kecamatan=kecamatan, categories=list(Category.objects.all()))
        if cycle else None,
        "in_progress": in_progress,
        "in_progress_total": in_progress_total,
        "in_progress_url": scope.queue_url(status=S.IN_PROGRESS),
        "follow_ups": follow_ups,
        "follow_ups_total": follow_ups_total,
        "health": board_health(scope, today=today, now=now),
        "women": women_representation(scope, kecamatan=kecamatan, today=today),
        "attendance": attendance_by_board(scope, now=now),
    }


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
    for row in attendance_rate_by_board(since=now - datetime.timedelta(days=ATTENDANCE_DAYS), until=now):
        if row.board_id in boards:
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
    boards = attendance_rate_by_board(since=period.start, until=until)
    if not scope.is_city:
        in_scope = set(scope.boards().values_list("pk", flat=True))
        boards = [row for row in boards if row.board_id in in_scope]
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

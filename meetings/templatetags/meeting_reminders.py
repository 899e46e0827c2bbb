"""The staff block on the meeting page: what the outbox holds for this meeting, and what failed."""

from dataclasses import dataclass, field

from django import template
from django.db.models import Count
from django.utils import timezone

from ..models import Reminder
from ..reminders import SLOT_CHOICES, slot_due

register = template.Library()

# Failed rows listed with a "send again" button; more than this is a mail server
# problem, which the counts already show.
FAILED_SHOWN = 50


@dataclass
class PlannedSlot:
    key: str
    label: str
    due_at: object
    past: bool


@dataclass
class KindCounts:
    kind: str
    label: str
    by_status: dict = field(default_factory=dict)
    # Counts in the order of Outbox.columns.
    cells: list = field(default_factory=list)

    @property
    def total(self):
        return sum(self.by_status.values())


@dataclass
class Column:
    status: str
    label: str
    total: int


@dataclass
class Outbox:
    planned: list
    kinds: list
    # Only the statuses that occur: six mostly empty columns do not fit a phone.
    columns: list
    failed: list
    failed_count: int

    @property
    def failed_hidden(self):
        return max(0, self.failed_count - len(self.failed))

    @property
    def is_empty(self):
        return not self.kinds


def recipient_of(row: Reminder) -> str:
    """Who the row is for, as staff recognise them (an address only once it was sent)."""
    if row.invitation is not None:
        invitation = row.invitation
        address = invitation.email
        if invitation.rsvp == invitation.Rsvp.DELEGATED and invitation.delegate_email:
            address = invitation.delegate_email
        return f"{invitation.name} <{address}>" if address else invitation.name
    if row.follow_up is not None:
        return row.follow_up.board.name
    return row.recipients or row.get_kind_display()


def planned_slots(meeting, now=None):
    """The meeting's chosen slots with their time, for staff to check before anything is sent."""
    now = now or timezone.now()
    chosen = set(meeting.reminder_slots or [])
    planned = []
    for key, label in SLOT_CHOICES:
        if key in chosen:
            due = slot_due(key, meeting.start)
            planned.append(PlannedSlot(key=key, label=label, due_at=due, past=due <= now))
    return planned


def outbox_of(meeting, now=None) -> Outbox:
    """Counts by kind and status (one query) and the failed rows (one query)."""
    kind_labels = dict(Reminder.Kind.choices)
    kinds = {}
    rows = meeting.reminders.order_by().values_list("kind", "status").annotate(n=Count("pk"))
    for kind, status, n in rows:
        counts = kinds.setdefault(kind, KindCounts(kind=kind, label=kind_labels.get(kind, kind)))
        counts.by_status[status] = n
    ordered = [kinds[kind] for kind in Reminder.Kind.values if kind in kinds]
    columns = []
    for status, label in Reminder.Status.choices:
        total = sum(k.by_status.get(status, 0) for k in ordered)
        if total:
            columns.append(Column(status=status, label=label, total=total))
    for counts in ordered:
        counts.cells = [counts.by_status.get(column.status, 0) for column in columns]
    failed_count = sum(k.by_status.get(Reminder.Status.FAILED, 0) for k in ordered)
    failed = []
    if failed_count:
        failed = list(
            meeting.reminders.filter(status=Reminder.Status.FAILED)
            .select_related("invitation", "follow_up__board")
            .order_by("due_at", "pk")[:FAILED_SHOWN]
        )
        for row in failed:
            row.recipient_label = recipient_of(row)
    return Outbox(
        planned=planned_slots(meeting, now), kinds=ordered, columns=columns, failed=failed, failed_count=failed_count
    )


@register.simple_tag
def meeting_reminders(meeting):
    """``{% meeting_reminders meeting as outbox %}``: an Outbox, in one query (two with failures)."""
    return outbox_of(meeting)

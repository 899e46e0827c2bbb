"""Reads for the proposal pages: what each page shows, fetched in a fixed number of queries."""

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from . import lifecycle
from .models import Cycle, Proposal, ProposalEvent


def proposal_detail_queryset():
    """One query for the proposal and what it has at most one of.

    The proposals it continues and is continued by are rarely there: only the id of the latter is
    annotated, and ``proposal_detail_context`` fetches the two (one query) when either exists. Joining
    them outright doubled the query's cost in Python and in PostgreSQL's planner.
    """
    continued_by = Proposal.objects.filter(carried_from=OuterRef("pk")).order_by().values("pk")[:1]
    return (
        Proposal.objects.select_related("board__region", "cycle", "category", "recommendation__forum", "evaluation")
        .annotate(carried_to_pk=Subquery(continued_by))
        .order_by("pk")  # one row by its key: no need for the model's ordering and its joins
    )


@dataclass(frozen=True)
class BoardActions:
    """What the board's side of the detail page offers this user (each is checked again on POST)."""

    can_edit: bool = False
    can_submit: bool = False
    can_withdraw: bool = False
    can_report: bool = False
    can_complete: bool = False
    can_carry_over: bool = False
    can_comment: bool = False

    @property
    def any(self):
        return any((self.can_edit, self.can_submit, self.can_withdraw, self.can_report, self.can_complete,
                    self.can_carry_over))


def board_actions(access, proposal, actions=None) -> BoardActions:
    actions = lifecycle.allowed_actions(access, proposal) if actions is None else actions
    serves = access.serves_board(proposal.board_id)
    started = proposal.status == Proposal.Status.APPROVED and proposal.decision_published_at is not None
    return BoardActions(
        can_edit=serves and proposal.status in Proposal.EDITABLE,
        can_submit="submit" in actions,
        can_withdraw="withdraw" in actions,
        can_report=serves and (started or proposal.status == Proposal.Status.IN_PROGRESS),
        can_complete="complete" in actions,
        can_carry_over=serves and lifecycle.can_carry_over(proposal),
        can_comment=access.can_comment(proposal),
    )


def volume_text(volume) -> str:
    """2.50 -> "2,5", 50.00 -> "50": a quantity as it is written in Indonesian."""
    return f"{volume.normalize():f}".replace(".", ",")


def status_label(access, proposal):
    """The status as this user may know it: a held decision reads "Sedang ditinjau" to the board."""
    if access.sees_decision(proposal):
        return proposal.get_status_display()
    return proposal.status_label_for_board()


def _carry_links(proposal):
    """The proposals ``proposal`` continues and is continued by (or None): one query, only if there is one.

    Left in the proposal's relation caches too, where ``lifecycle.can_carry_over`` looks.
    """
    if not hasattr(proposal, "carried_to_pk"):  # not from proposal_detail_queryset()
        return proposal.carried_from, getattr(proposal, "carried_to", None)
    wanted = {pk for pk in (proposal.carried_from_id, proposal.carried_to_pk) if pk is not None}
    linked = {}
    if wanted:
        linked = {
            other.pk: other
            for other in Proposal.objects.filter(pk__in=wanted).select_related("cycle")
            .only("title", "carried_from_id", "cycle__name").order_by()
        }
    carried_from, carried_to = linked.get(proposal.carried_from_id), linked.get(proposal.carried_to_pk)
    Proposal.carried_from.field.set_cached_value(proposal, carried_from)
    Proposal.carried_to.related.set_cached_value(proposal, carried_to)
    return carried_from, carried_to


def proposal_detail_context(proposal, access) -> dict:
    """Everything the detail page shows, in a fixed number of queries however long the proposal's history.

    ``proposal`` should come from ``proposal_detail_queryset()`` (the one-to-one relations joined).
    Prevents an N+1 on budget lines, documents, reports and their photos, and events: one query each for
    budget lines, reports and events, one for all attachments (documents and photos).
    """
    budget_lines = list(proposal.budget_lines.all())
    attachments = list(proposal.attachments.all())
    reports = list(proposal.progress_reports.all())
    all_events = list(proposal.events.all())
    carried_from, carried_to = _carry_links(proposal)

    photos = {}
    for attachment in attachments:
        if attachment.report_id is not None:
            photos.setdefault(attachment.report_id, []).append(attachment)
    for report in reports:
        report.photo_list = photos.get(report.pk, [])
    for line in budget_lines:
        line.volume_text = volume_text(line.volume)
    sees_decision = access.sees_decision(proposal)
    # A decision the cycle still holds is not in the board's timeline at all (nor its note).
    events = [event for event in all_events if sees_decision or not event.is_decision]
    actions = lifecycle.allowed_actions(access, proposal)
    return {
        "proposal": proposal,
        "access": access,
        "actions": actions,
        "board_actions": board_actions(access, proposal, actions),
        "status_label": status_label(access, proposal),
        "status_code": proposal.status if sees_decision else proposal.status_for_board(),
        "status_since": _status_since(access, proposal, _latest_review_start(all_events)),
        "sees_decision": sees_decision,
        "budget_lines": budget_lines,
        "attachments": [attachment for attachment in attachments if attachment.report_id is None],
        "reports": reports,
        "events": events,
        "recommendation": getattr(proposal, "recommendation", None),
        "can_recommend": lifecycle.may_recommend(access, proposal),
        "evaluation": getattr(proposal, "evaluation", None),
        "carried_from": carried_from,
        "carried_to": carried_to,
    }


def _review_started_at():
    return Subquery(
        ProposalEvent.objects.filter(proposal=OuterRef("pk"), kind=ProposalEvent.Kind.TRANSITION,
                                     to_status=Proposal.Status.UNDER_REVIEW)
        .order_by("-created_at", "-pk").values("created_at")[:1]
    )


def _latest_review_start(events):
    starts = [event.created_at for event in events
              if event.kind == ProposalEvent.Kind.TRANSITION and event.to_status == Proposal.Status.UNDER_REVIEW]
    return max(starts, default=None)


def board_list(access, cycle) -> list[Proposal]:
    """The proposals this user may see in ``cycle`` (all cycles when None), by board and priority.

    One query whatever the number of proposals: board, field and cycle joined, documents counted. Each
    proposal gets ``status_shown`` and ``status_since`` as this user may know them: a decision the cycle
    still holds reads "Sedang ditinjau", in that state since the review began, not since the decision.
    """
    proposals = access.visible_proposals()
    if cycle is not None:
        proposals = proposals.filter(cycle=cycle)
    proposals = (
        proposals.select_related("board", "category", "cycle")
        .annotate(
            document_count=Count("attachments", filter=Q(attachments__report__isnull=True)),
            review_started_at=_review_started_at(),
        )
        .order_by("board__name", "board_id", "priority", "pk")
    )
    rows = list(proposals)
    for proposal in rows:
        proposal.status_shown = status_label(access, proposal)
        proposal.status_since = _status_since(access, proposal, proposal.review_started_at)
    return rows


def _status_since(access, proposal, review_started_at):
    if access.sees_decision(proposal) or proposal.status not in Proposal.DECIDED:
        return proposal.status_changed_at
    return review_started_at or proposal.submitted_at or proposal.status_changed_at


def draftable_cycles(today=None):
    """Cycles a board may still draft for: those whose window has not closed yet."""
    return Cycle.objects.filter(closes_on__gte=today or timezone.localdate()).order_by("opens_on", "pk")

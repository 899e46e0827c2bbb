"""Reads for the proposal pages: what each page shows, fetched in a fixed number of queries."""

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery, prefetch_related_objects
from django.utils import timezone

from . import lifecycle
from .models import Attachment, Cycle, ProgressReport, Proposal, ProposalEvent


def proposal_detail_queryset():
    """One query for the proposal and everything it has at most one of."""
    return Proposal.objects.select_related(
        "board__region", "cycle", "category", "carried_from__cycle", "carried_to__cycle", "recommendation__forum",
        "evaluation",
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


def proposal_detail_context(proposal, access) -> dict:
    """Everything the detail page shows, in a fixed number of queries however long the proposal's history.

    ``proposal`` should come from ``proposal_detail_queryset()`` (the one-to-one relations joined).
    Prevents an N+1 on budget lines, documents, reports and their photos, and events: one query each.
    """
    prefetch_related_objects(
        [proposal],
        "budget_lines",
        Prefetch("attachments", queryset=Attachment.objects.filter(report__isnull=True), to_attr="documents"),
        Prefetch("progress_reports", queryset=ProgressReport.objects.prefetch_related("photos")),
        "events",
    )
    sees_decision = access.sees_decision(proposal)
    # A decision the cycle still holds is not in the board's timeline at all (nor its note).
    events = [event for event in proposal.events.all() if sees_decision or not event.is_decision]
    actions = lifecycle.allowed_actions(access, proposal)
    budget_lines = list(proposal.budget_lines.all())
    for line in budget_lines:
        line.volume_text = volume_text(line.volume)
    return {
        "proposal": proposal,
        "access": access,
        "actions": actions,
        "board_actions": board_actions(access, proposal, actions),
        "status_label": status_label(access, proposal),
        "status_code": proposal.status if sees_decision else proposal.status_for_board(),
        "status_since": _status_since(access, proposal, _latest_review_start(proposal.events.all())),
        "sees_decision": sees_decision,
        "budget_lines": budget_lines,
        "attachments": proposal.documents,
        "reports": list(proposal.progress_reports.all()),
        "events": events,
        "recommendation": getattr(proposal, "recommendation", None),
        "evaluation": getattr(proposal, "evaluation", None),
        "carried_from": proposal.carried_from,
        "carried_to": getattr(proposal, "carried_to", None),
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

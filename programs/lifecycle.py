"""The proposal lifecycle (brief §7): every write to a proposal goes through here.

Views, admin actions and tasks call these functions and nothing else. Each
transition locks the proposal row, checks the user's role and the current
state, changes the state, writes a ProposalEvent and records the notices, all
in one transaction: two reviewers pressing "approve" at once give one
transition; the second is told the proposal has already moved on.

Refusals: ``PermissionDenied`` when this user may not do it at all (a 403),
``ValidationError`` with an Indonesian message when the proposal's state,
the cycle's window or the board's cap forbids it now.
"""

import datetime
import decimal
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.access import access_for
from organizations.models import Board
from portal.lib import formats
from portal.lib.money import MAX_RUPIAH
from portal.lib.uploads import DOCUMENT_KINDS, IMAGE_KINDS, clean_filename, validate_upload

from . import notices
from .models import (
    Attachment,
    BudgetLine,
    Cycle,
    Evaluation,
    ProgressReport,
    Proposal,
    ProposalEvent,
    Recommendation,
)

S = Proposal.Status

# Who may take each step: the board's Ketua/Sekretaris ("lead"), any of its
# pengurus ("board"), or staff ("reviewer"). Admins may do everything.
LEAD, BOARD, REVIEWER = "lead", "board", "reviewer"


@dataclass(frozen=True)
class Rule:
    sources: tuple
    target: str
    role: str


RULES = {
    "submit": Rule((S.DRAFT, S.REVISION_REQUESTED), S.SUBMITTED, LEAD),
    "withdraw": Rule((S.DRAFT, S.SUBMITTED, S.REVISION_REQUESTED), S.WITHDRAWN, LEAD),
    "start_review": Rule((S.SUBMITTED,), S.UNDER_REVIEW, REVIEWER),
    "request_revision": Rule((S.UNDER_REVIEW,), S.REVISION_REQUESTED, REVIEWER),
    "approve": Rule((S.UNDER_REVIEW,), S.APPROVED, REVIEWER),
    "reject": Rule((S.UNDER_REVIEW,), S.REJECTED, REVIEWER),
    "start": Rule((S.APPROVED,), S.IN_PROGRESS, BOARD),
    "complete": Rule((S.IN_PROGRESS,), S.COMPLETED, BOARD),
    "evaluate": Rule((S.COMPLETED,), S.EVALUATED, REVIEWER),
}

# Not decided when its cycle closed: may be carried into a later cycle, like a rejected one.
UNDECIDED = (S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.REVISION_REQUESTED)


def _may(access, role, proposal) -> bool:
    if role == REVIEWER:
        return access.can_review_proposals()
    if role == LEAD:
        return access.leads_board(proposal.board_id)
    return access.serves_board(proposal.board_id)


def allowed_actions(access, proposal) -> set[str]:
    """The transitions this user may start now (for the buttons; each is checked again on POST)."""
    actions = {
        name for name, rule in RULES.items()
        if proposal.status in rule.sources and _may(access, rule.role, proposal)
    }
    if proposal.status == S.APPROVED and not proposal.decision_published_at:
        actions.discard("start")
    return actions


def may_recommend(access, proposal) -> bool:
    """Whether this user's recommendation form belongs on the page now (recommendation_save checks again)."""
    return access.can_recommend(proposal) and proposal.open_for_recommendation


def _state_message(proposal) -> str:
    # The board's view of the state: a held decision must not leak through a refusal.
    return _("Usulan ini berstatus \"%(status)s\"; langkah itu tidak dapat dilakukan sekarang.") % {
        "status": proposal.status_label_for_board()
    }


def _locked(proposal) -> Proposal:
    return Proposal.objects.select_for_update().get(pk=proposal.pk)


def _event(proposal, by, kind, *, from_status="", to_status="", note="", now=None) -> ProposalEvent:
    return ProposalEvent.objects.create(
        proposal=proposal, kind=kind, actor=by, actor_name=_display_name(by), from_status=from_status,
        to_status=to_status, note=note, created_at=now or timezone.now(),
    )


def _display_name(user) -> str:
    if user is None:
        return ""
    person = getattr(user, "person", None)
    return (getattr(person, "name", "") or user.get_full_name() or user.get_username())[:200]


def _transition(proposal, *, by, action, note="", now=None, change=None) -> Proposal:
    """Lock, check role and state, apply ``change``, move, log, notify; all or nothing."""
    rule = RULES[action]
    access = access_for(by)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(proposal)
        if not _may(access, rule.role, locked):
            raise PermissionDenied
        if locked.status not in rule.sources:
            raise ValidationError(_state_message(locked), code="state")
        if change is not None:
            change(locked)
        from_status = locked.status
        locked.status = rule.target
        locked.status_changed_at = now
        locked.save()
        event = _event(locked, by, ProposalEvent.Kind.TRANSITION, from_status=from_status, to_status=rule.target,
                       note=note, now=now)
        notices.event_notify(event)
    return locked


# --- drafting ------------------------------------------------------------------------------


PROPOSAL_FIELDS = (
    "category", "title", "is_physical", "background", "goals", "location_rt_rw", "location", "beneficiary_count",
    "beneficiary_groups", "start_month", "end_month", "priority",
)


def _check_content(fields):
    errors = {}
    start, end = fields.get("start_month"), fields.get("end_month")
    if start and end and end < start:
        errors["end_month"] = _("Bulan selesai tidak boleh sebelum bulan mulai.")
    if errors:
        raise ValidationError(errors)


def budget_lines_clean(lines) -> list[BudgetLine]:
    """Unsaved BudgetLine rows with subtotals computed here, never taken from the form."""
    rows = []
    for position, line in enumerate(lines):
        volume = decimal.Decimal(line["volume"])
        unit_cost = int(line["unit_cost"])
        subtotal = int((volume * unit_cost).to_integral_value(rounding=decimal.ROUND_HALF_UP))
        rows.append(BudgetLine(position=position, item=line["item"], volume=volume, unit=line["unit"],
                               unit_cost=unit_cost, subtotal=subtotal))
    total = sum(row.subtotal for row in rows)
    if total > MAX_RUPIAH:
        raise ValidationError(
            _("Jumlah seluruh anggaran lebih dari %(max)s; periksa kembali angkanya.")
            % {"max": formats.rupiah(MAX_RUPIAH)}
        )
    return rows


def _budget_replace(proposal, rows):
    proposal.budget_lines.all().delete()
    for row in rows:
        row.proposal = proposal
    BudgetLine.objects.bulk_create(rows)
    proposal.total_requested = sum(row.subtotal for row in rows)
    # The approved budget is recorded later and never above what was asked.
    proposal.save(update_fields=["total_requested", "updated_at"])


def proposal_create(*, board, cycle, by, budget_lines=(), now=None, **fields) -> Proposal:
    access = access_for(by)
    if not access.can_draft_for(board):
        raise PermissionDenied
    today = timezone.localdate(now) if now else timezone.localdate()
    if cycle.closes_on < today:
        raise ValidationError({"cycle": _("Siklus %(cycle)s sudah ditutup.") % {"cycle": cycle.name}})
    _check_content(fields)
    rows = budget_lines_clean(budget_lines)
    with transaction.atomic():
        proposal = Proposal.objects.create(board=board, cycle=cycle, created_by=by,
                                           status_changed_at=now or timezone.now(),
                                           **{name: fields[name] for name in PROPOSAL_FIELDS if name in fields})
        _budget_replace(proposal, rows)
        _event(proposal, by, ProposalEvent.Kind.TRANSITION, to_status=S.DRAFT, note=_("Draf dibuat."), now=now)
    return proposal


def proposal_update(*, proposal, by, budget_lines=None, **fields) -> Proposal:
    """The board changes a draft or a proposal sent back for revision."""
    access = access_for(by)
    with transaction.atomic():
        locked = _locked(proposal)
        if not access.serves_board(locked.board_id):
            raise PermissionDenied
        if locked.status not in Proposal.EDITABLE:
            raise ValidationError(_("Usulan hanya dapat diubah selagi berstatus draf atau perlu revisi."),
                                  code="state")
        _check_content({**{n: getattr(locked, n) for n in ("start_month", "end_month")}, **fields})
        for name in PROPOSAL_FIELDS:
            if name in fields:
                setattr(locked, name, fields[name])
        locked.save()
        if budget_lines is not None:
            _budget_replace(locked, budget_lines_clean(budget_lines))
    return locked


def attachment_add(*, proposal, upload, by, title="", report=None, kinds=DOCUMENT_KINDS) -> Attachment:
    """Check size and type by content, store privately with a clean name, remove the file if the row fails."""
    if report is None:
        access = access_for(by)
        if not access.serves_board(proposal.board_id):
            raise PermissionDenied
        if proposal.status not in Proposal.EDITABLE:
            raise ValidationError(_("Lampiran hanya dapat ditambahkan selagi usulan berstatus draf atau perlu revisi."))
    try:
        kind = validate_upload(upload, kinds=kinds)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error
    filename = clean_filename(upload.name, kind)
    title = " ".join((title or "").split()) or filename.rsplit(".", 1)[0].replace("_", " ")
    attachment = Attachment(proposal=proposal, report=report, title=title[:200], filename=filename,
                            content_type=kind.content_type, size=upload.size, uploaded_by=by)
    attachment.file.save(filename, upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


def attachment_delete(*, attachment, by):
    proposal = attachment.proposal
    if not access_for(by).serves_board(proposal.board_id):
        raise PermissionDenied
    if proposal.status not in Proposal.EDITABLE or attachment.report_id is not None:
        raise ValidationError(_("Lampiran ini tidak dapat dihapus lagi."))
    attachment.delete()
    transaction.on_commit(lambda: attachment.file.delete(save=False))


# --- the board's steps -------------------------------------------------------------------


def proposal_submit(*, proposal, by, now=None) -> Proposal:
    today = timezone.localdate(now) if now else timezone.localdate()

    def check(locked):
        cycle = locked.cycle
        if not cycle.is_open(today):
            raise ValidationError(
                _("Pengajuan untuk %(cycle)s hanya dibuka %(opens)s sampai %(closes)s.")
                % {"cycle": cycle.name, "opens": formats.date_long(cycle.opens_on),
                   "closes": formats.date_long(cycle.closes_on)},
                code="window",
            )
        if not locked.budget_lines.exists():
            raise ValidationError(_("Tambahkan paling sedikit satu rincian anggaran sebelum mengajukan."),
                                  code="budget")
        if cycle.max_per_board and locked.status == S.DRAFT:
            # Lock the board's proposals of this cycle so two submissions cannot both take the last place.
            taken = (Proposal.objects.select_for_update().filter(board_id=locked.board_id, cycle=cycle)
                     .counting_for_cap().exclude(pk=locked.pk))
            if len(taken) >= cycle.max_per_board:
                raise ValidationError(
                    _("Lembaga ini sudah mengajukan %(count)s usulan pada %(cycle)s, batas yang berlaku.")
                    % {"count": cycle.max_per_board, "cycle": cycle.name},
                    code="cap",
                )
        locked.submitted_at = now or timezone.now()

    return _transition(proposal, by=by, action="submit", now=now, change=check)


def proposal_withdraw(*, proposal, by, note="", now=None) -> Proposal:
    return _transition(proposal, by=by, action="withdraw", note=note, now=now)


# --- review -----------------------------------------------------------------------------------


def proposal_start_review(*, proposal, by, now=None) -> Proposal:
    return _transition(proposal, by=by, action="start_review", now=now)


def _required(note, field, message):
    if not (note or "").strip():
        raise ValidationError({field: message})
    return note.strip()


def proposal_request_revision(*, proposal, by, note, now=None) -> Proposal:
    note = _required(note, "note", _("Tuliskan apa yang perlu diperbaiki."))
    return _transition(proposal, by=by, action="request_revision", note=note, now=now)


def _decide(locked, *, by, now):
    locked.decided_at = now
    locked.decided_by = by
    # Published at once, unless the cycle holds its decisions until staff publish them all.
    locked.decision_published_at = None if locked.cycle.holds_decisions else now


def proposal_approve(*, proposal, by, approved_budget, note="", now=None) -> Proposal:
    now = now or timezone.now()

    def approve(locked):
        if approved_budget is None or approved_budget <= 0:
            raise ValidationError({"approved_budget": _("Isi anggaran yang disetujui.")})
        if approved_budget > locked.total_requested:
            raise ValidationError({"approved_budget": _(
                "Anggaran yang disetujui tidak boleh melebihi yang diusulkan (%(total)s)."
            ) % {"total": formats.rupiah(locked.total_requested)}})
        locked.approved_budget = approved_budget
        locked.decision_note = (note or "").strip()
        _decide(locked, by=by, now=now)

    return _transition(proposal, by=by, action="approve", note=(note or "").strip(), now=now, change=approve)


def proposal_reject(*, proposal, by, reason, now=None) -> Proposal:
    now = now or timezone.now()
    reason = _required(reason, "reason", _("Tuliskan alasan penolakan."))

    def reject(locked):
        locked.approved_budget = None
        locked.decision_note = reason
        _decide(locked, by=by, now=now)

    return _transition(proposal, by=by, action="reject", note=reason, now=now, change=reject)


def cycle_publish_decisions(*, cycle, by, now=None) -> int:
    """Publish every held decision of a cycle at once; the boards hear about them now."""
    if not access_for(by).can_review_proposals():
        raise PermissionDenied
    now = now or timezone.now()
    with transaction.atomic():
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        held = list(Proposal.objects.select_for_update().filter(
            cycle=locked, status__in=Proposal.DECIDED, decision_published_at__isnull=True))
        Proposal.objects.filter(pk__in=[p.pk for p in held]).update(decision_published_at=now)
        locked.decisions_published_at = now
        locked.save(update_fields=["decisions_published_at"])
        decisions = (ProposalEvent.objects.filter(proposal__in=held, kind=ProposalEvent.Kind.TRANSITION,
                                                  to_status__in=Proposal.DECIDED)
                     .select_related("proposal__board", "proposal__cycle").order_by("proposal_id", "-created_at"))
        latest = {}
        for event in decisions:
            latest.setdefault(event.proposal_id, event)
        for event in latest.values():
            event.proposal.decision_published_at = now
            notices.event_notify(event, published=True)
    cycle.decisions_published_at = now
    return len(held)


def proposal_evaluate(*, proposal, by, targets_met, beneficiaries_reached, budget_realised, score, notes="",
                      now=None) -> Proposal:
    def evaluate(locked):
        Evaluation.objects.create(proposal=locked, targets_met=targets_met,
                                  beneficiaries_reached=beneficiaries_reached, budget_realised=budget_realised,
                                  score=score, notes=(notes or "").strip(), by=by)

    return _transition(proposal, by=by, action="evaluate", note=(notes or "").strip(), now=now, change=evaluate)


# --- implementation ----------------------------------------------------------------------------


def progress_add(*, proposal, by, report_date, percent, narrative, spent, photos=(), is_final=False,
                 now=None) -> ProgressReport:
    """A progress report; the first one starts the implementation, a final one completes it."""
    access = access_for(by)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(proposal)
        if not access.serves_board(locked.board_id):
            raise PermissionDenied
        started = locked.status == S.APPROVED and locked.decision_published_at is not None
        if not started and locked.status != S.IN_PROGRESS:
            raise ValidationError(_("Laporan kemajuan hanya untuk usulan yang disetujui atau sedang dilaksanakan."),
                                  code="state")
        if percent < locked.progress_percent:
            raise ValidationError({"percent": _(
                "Kemajuan tidak boleh lebih kecil dari laporan sebelumnya (%(percent)s%%)."
            ) % {"percent": locked.progress_percent}})
        if is_final:
            percent = 100
        if started:
            locked = _transition(locked, by=by, action="start", now=now)
        report = ProgressReport.objects.create(proposal=locked, report_date=report_date, percent=percent,
                                               narrative=narrative.strip(), spent=spent, is_final=is_final,
                                               created_by=by)
        for upload in photos:
            attachment_add(proposal=locked, upload=upload, by=by, report=report, kinds=IMAGE_KINDS)
        locked.progress_percent = percent
        locked.spent = spent
        locked.save(update_fields=["progress_percent", "spent", "updated_at"])
        _event(locked, by, ProposalEvent.Kind.PROGRESS, note=_("Laporan kemajuan %(percent)s%%.") % {
            "percent": percent}, now=now)
        if is_final:
            _transition(locked, by=by, action="complete", note=_("Laporan akhir disampaikan."), now=now)
    return report


def proposal_complete(*, proposal, by, report_date, narrative, spent, photos=(), now=None) -> ProgressReport:
    if proposal.status != S.IN_PROGRESS:
        raise ValidationError(_("Hanya usulan yang sedang dilaksanakan yang dapat dinyatakan selesai."),
                              code="state")
    return progress_add(proposal=proposal, by=by, report_date=report_date, percent=100, narrative=narrative,
                        spent=spent, photos=photos, is_final=True, now=now)


# --- conversation ---------------------------------------------------------------------------


def comment_add(*, proposal, by, text, now=None) -> ProposalEvent:
    if not access_for(by).can_comment(proposal):
        raise PermissionDenied
    text = _required(text, "text", _("Tulis komentar terlebih dahulu."))
    with transaction.atomic():
        event = _event(proposal, by, ProposalEvent.Kind.COMMENT, note=text, now=now)
        notices.event_notify(event)
    return event


def recommendation_save(*, proposal, by, recommends, note="", now=None) -> Recommendation:
    """The Forum LPM of the proposal's kecamatan, while it is submitted or under review."""
    access = access_for(by)
    if not access.can_recommend(proposal):
        raise PermissionDenied
    with transaction.atomic():
        locked = _locked(proposal)
        if not locked.open_for_recommendation:
            raise ValidationError(_("Rekomendasi hanya dapat diberikan selagi usulan diajukan atau ditinjau."),
                                  code="state")
        forum = Board.objects.filter(kind=Board.Kind.FORUM, region_id=locked.board.kecamatan_id).first()
        recommendation, _created = Recommendation.objects.update_or_create(
            proposal=locked,
            defaults={"recommends": recommends, "note": (note or "").strip(), "by": by, "forum": forum},
        )
        label = _("Direkomendasikan") if recommends else _("Tidak direkomendasikan")
        event = _event(locked, by, ProposalEvent.Kind.RECOMMENDATION,
                       note=f"{label}. {recommendation.note}".strip(), now=now)
        notices.event_notify(event)
    return recommendation


# --- carrying over ----------------------------------------------------------------------------


def can_carry_over(proposal, today=None) -> bool:
    today = today or timezone.localdate()
    if getattr(proposal, "carried_to", None) is not None:
        return False
    if proposal.status == S.REJECTED:
        return proposal.decision_published_at is not None
    return proposal.status in UNDECIDED and proposal.cycle.closes_on < today


def next_cycles(proposal, today=None):
    """Cycles a proposal may be carried into: later ones whose window has not closed."""
    today = today or timezone.localdate()
    return Cycle.objects.filter(opens_on__gt=proposal.cycle.opens_on, closes_on__gte=today).order_by("opens_on")


def proposal_carry_over(*, proposal, by, cycle, now=None) -> Proposal:
    """A new draft in a later cycle with the same content, linked to the original."""
    access = access_for(by)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(proposal)
        if not access.serves_board(locked.board_id):
            raise PermissionDenied
        if not can_carry_over(locked, timezone.localdate(now)):
            raise ValidationError(_("Hanya usulan yang ditolak atau belum diputuskan saat siklusnya ditutup "
                                    "yang dapat dilanjutkan, dan hanya sekali."), code="state")
        if not next_cycles(locked, timezone.localdate(now)).filter(pk=cycle.pk).exists():
            raise ValidationError({"cycle": _("Pilih siklus berikutnya yang masih dibuka.")})
        copy = Proposal.objects.create(
            board=locked.board, cycle=cycle, carried_from=locked, created_by=by, status_changed_at=now,
            total_requested=locked.total_requested,
            **{name: getattr(locked, name) for name in PROPOSAL_FIELDS},
        )
        BudgetLine.objects.bulk_create([
            BudgetLine(proposal=copy, position=line.position, item=line.item, volume=line.volume, unit=line.unit,
                       unit_cost=line.unit_cost, subtotal=line.subtotal)
            for line in locked.budget_lines.all()
        ])
        for attachment in locked.attachments.filter(report__isnull=True):
            with attachment.file.open("rb") as source:
                duplicate = Attachment(proposal=copy, title=attachment.title, filename=attachment.filename,
                                       content_type=attachment.content_type, size=attachment.size, uploaded_by=by)
                duplicate.file.save(attachment.filename, source, save=True)
        note = _("Dilanjutkan dari %(cycle)s.") % {"cycle": locked.cycle.name}
        _event(copy, by, ProposalEvent.Kind.TRANSITION, to_status=S.DRAFT, note=note, now=now)
        _event(locked, by, ProposalEvent.Kind.COMMENT,
               note=_("Dilanjutkan ke %(cycle)s sebagai draf baru.") % {"cycle": cycle.name}, now=now)
    return copy


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)

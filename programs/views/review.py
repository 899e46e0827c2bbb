"""The staff and Forum side of proposals: the review queue, review steps, recommendation, cycles.

Every step calls ``programs.lifecycle``, which checks role and state again inside
its transaction. A proposal the user may not see is a 404; a step they may not
take on one they can see is a 403; a step the proposal's state forbids now is a
message on the proposal page, with nothing changed.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from organizations.access import access_for
from portal.lib.formats import rupiah
from portal.lib.pagecache import cached_page

from .. import exports, lifecycle
from .. import queue as review_queue
from ..models import Cycle, Proposal
from ..review_forms import (
    ApproveForm,
    CycleForm,
    EvaluationForm,
    RecommendationForm,
    RejectForm,
    RevisionForm,
    held_decisions,
)


def _require_reviewer(request):
    access = access_for(request.user)
    if not access.can_review_proposals():
        raise PermissionDenied
    return access


def _reviewable(request, pk):
    """A proposal for a staff step: 404 if the user may not see it, 403 if they may not review."""
    access = access_for(request.user)
    proposal = access.get_proposal_or_404(pk)
    if not access.can_review_proposals():
        raise PermissionDenied
    return access, proposal


def _to_detail(proposal):
    return redirect("programs:detail", pk=proposal.pk)


# --- the queue and its export -----------------------------------------------------------------


@login_required
@require_GET
@cached_page
def queue(request):
    _require_reviewer(request)
    form = review_queue.QueueFilterForm(request.GET)
    filters = form.values()
    if request.htmx and request.htmx.target == "kelurahan-field":
        # The kecamatan select changed: only the kelurahan field, with that kecamatan's kelurahan.
        response = HttpResponse(format_html('<div class="field" id="kelurahan-field">{}</div>',
                                            form["kelurahan"].as_field_group()))
    else:
        proposals = review_queue.queue_proposals(filters)
        totals = review_queue.queue_totals(proposals)
        page = review_queue.queue_page(proposals, totals, request.GET.get("page"))
        review_queue.annotate_rows(page.object_list)
        query = request.GET.copy()
        query.pop("page", None)
        response = render(request, "programs/queue.html", {
            "form": form,
            "page_obj": page,
            "totals": totals,
            "query": query.urlencode(),
            "narrowed": form.narrowed,
        })
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
@require_GET
@never_cache
def queue_export(request, fmt):
    if fmt not in exports.EXPORT_FORMATS:
        raise Http404
    _require_reviewer(request)
    form = review_queue.QueueFilterForm(request.GET)
    proposals = review_queue.queue_proposals(form.values())
    totals = review_queue.queue_totals(proposals)
    rows = list(proposals)
    now = timezone.now()
    filename = f"antrean-usulan-{timezone.localdate(now):%Y%m%d}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(exports.queue_csv(rows, totals, now=now), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(exports.queue_xlsx(rows, totals, title=_("Antrean usulan program"), now=now),
                                content_type=exports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- review steps -----------------------------------------------------------------------------


def _step(request, proposal, *, form, action, title, intro, submit_label, apply, done):
    """Shared flow of a review step: validate, call the lifecycle, and say what happened.

    Field errors (a missing note, a budget above the request) come back next to the
    field on the step's own page; a refusal of the whole step (the proposal has
    moved on) is a message on the proposal page.
    """
    if request.method == "POST" and form.is_valid():
        try:
            apply(form.cleaned_data)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_service_errors(error)
            else:
                for message in error.messages:
                    messages.error(request, message)
                return _to_detail(proposal)
        else:
            messages.success(request, done)
            return _to_detail(proposal)
    return render(request, "programs/_review_form.html", {
        "proposal": proposal,
        "form": form,
        "action_url": reverse(f"programs:{action}", args=[proposal.pk]),
        "title": title,
        "intro": intro,
        "submit_label": submit_label,
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def start_review(request, pk):
    _access, proposal = _reviewable(request, pk)
    if request.method == "GET":
        return render(request, "programs/_review_form.html", {
            "proposal": proposal,
            "form": None,
            "action_url": reverse("programs:start_review", args=[proposal.pk]),
            "title": _("Mulai tinjau usulan"),
            "intro": _("Usulan akan berstatus \"Sedang ditinjau\" dan lembaga diberi tahu."),
            "submit_label": _("Mulai tinjau"),
        })
    try:
        lifecycle.proposal_start_review(proposal=proposal, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Usulan sekarang sedang ditinjau."))
    return _to_detail(proposal)


@login_required
@require_http_methods(["GET", "POST"])
def request_revision(request, pk):
    _access, proposal = _reviewable(request, pk)
    return _step(
        request, proposal, form=RevisionForm(request.POST or None), action="request_revision",
        title=_("Minta revisi"),
        intro=_("Lembaga dapat mengubah usulan lalu mengajukannya kembali."),
        submit_label=_("Kirim permintaan revisi"),
        apply=lambda data: lifecycle.proposal_request_revision(proposal=proposal, by=request.user, note=data["note"]),
        done=_("Permintaan revisi dikirim ke lembaga."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def approve(request, pk):
    _access, proposal = _reviewable(request, pk)
    return _step(
        request, proposal, form=ApproveForm(request.POST or None, proposal=proposal), action="approve",
        title=_("Setujui usulan"),
        intro=_("Anggaran diusulkan: %(total)s.") % {"total": rupiah(proposal.total_requested)},
        submit_label=_("Setujui"),
        apply=lambda data: lifecycle.proposal_approve(proposal=proposal, by=request.user,
                                                      approved_budget=data["approved_budget"], note=data["note"]),
        done=_decision_done(proposal, _("Usulan disetujui.")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def reject(request, pk):
    _access, proposal = _reviewable(request, pk)
    return _step(
        request, proposal, form=RejectForm(request.POST or None), action="reject",
        title=_("Tolak usulan"),
        intro=_("Alasan penolakan akan dibaca oleh lembaga."),
        submit_label=_("Tolak usulan"),
        apply=lambda data: lifecycle.proposal_reject(proposal=proposal, by=request.user, reason=data["reason"]),
        done=_decision_done(proposal, _("Usulan ditolak.")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def evaluate(request, pk):
    _access, proposal = _reviewable(request, pk)
    return _step(
        request, proposal, form=EvaluationForm(request.POST or None), action="evaluate",
        title=_("Evaluasi usulan"),
        intro=_("Realisasi yang dilaporkan lembaga: %(spent)s.") % {"spent": rupiah(proposal.spent)},
        submit_label=_("Simpan evaluasi"),
        apply=lambda data: lifecycle.proposal_evaluate(proposal=proposal, by=request.user, **data),
        done=_("Evaluasi disimpan."),
    )


def _decision_done(proposal, text):
    if proposal.cycle.holds_decisions:
        return text + " " + _("Keputusan ditahan sampai keputusan siklus %(cycle)s diumumkan bersama.") % {
            "cycle": proposal.cycle.name}
    return text


@login_required
@require_http_methods(["GET", "POST"])
def recommend(request, pk):
    access = access_for(request.user)
    proposal = access.get_proposal_or_404(pk)
    if not access.can_recommend(proposal):
        raise PermissionDenied
    recommendation = getattr(proposal, "recommendation", None)
    return _step(
        request, proposal,
        form=RecommendationForm(request.POST or None, recommendation=recommendation), action="recommend",
        title=_("Rekomendasi forum"),
        intro=_("Staf DP3AKB membaca rekomendasi ini saat meninjau usulan."),
        submit_label=_("Simpan rekomendasi"),
        apply=lambda data: lifecycle.recommendation_save(proposal=proposal, by=request.user, **data),
        done=_("Rekomendasi forum disimpan."),
    )


# --- planning cycles -------------------------------------------------------------------------------


@login_required
@require_GET
def cycle_list(request):
    _require_reviewer(request)
    cycles = Cycle.objects.annotate(
        proposal_count=Count("proposals", filter=~Q(proposals__status=Proposal.Status.DRAFT)),
        held_count=Count("proposals", filter=Q(proposals__status__in=Proposal.DECIDED,
                                                proposals__decision_published_at__isnull=True)),
    ).order_by("-opens_on", "-pk")
    return render(request, "programs/cycle_list.html", {"cycles": cycles, "today": timezone.localdate()})


def _cycle_form_page(request, form, cycle=None):
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        if cycle is None:
            messages.success(request, _("Siklus %(name)s dibuat.") % {"name": saved.name})
        else:
            messages.success(request, _("Siklus %(name)s disimpan.") % {"name": saved.name})
        return redirect("programs:cycles")
    return render(request, "programs/cycle_form.html", {"form": form, "cycle": cycle},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def cycle_create(request):
    _require_reviewer(request)
    return _cycle_form_page(request, CycleForm(request.POST or None))


@login_required
@require_http_methods(["GET", "POST"])
def cycle_edit(request, pk):
    _require_reviewer(request)
    cycle = get_object_or_404(Cycle, pk=pk)
    return _cycle_form_page(request, CycleForm(request.POST or None, instance=cycle), cycle)


@login_required
@require_http_methods(["GET", "POST"])
def cycle_publish(request, pk):
    _require_reviewer(request)
    cycle = get_object_or_404(Cycle, pk=pk)
    held = held_decisions(cycle)
    if request.method == "POST":
        if cycle.publication != Cycle.Publication.TOGETHER or not held.exists():
            messages.info(request, _("Tidak ada keputusan yang ditahan pada siklus %(cycle)s.") % {
                "cycle": cycle.name})
            return redirect("programs:cycles")
        count = lifecycle.cycle_publish_decisions(cycle=cycle, by=request.user)
        messages.success(request, ngettext(
            "%(count)d keputusan siklus %(cycle)s diumumkan; lembaga-lembaganya diberi tahu.",
            "%(count)d keputusan siklus %(cycle)s diumumkan; lembaga-lembaganya diberi tahu.",
            count,
        ) % {"count": count, "cycle": cycle.name})
        return redirect("programs:cycles")
    counts = held.aggregate(
        total=Count("pk"),
        approved=Count("pk", filter=Q(status=Proposal.Status.APPROVED)),
        rejected=Count("pk", filter=Q(status=Proposal.Status.REJECTED)),
    )
    undecided = cycle.proposals.filter(status__in=review_queue.AWAITING).count()
    return render(request, "programs/cycle_publish.html", {
        "cycle": cycle, "counts": counts, "undecided": undecided,
    })

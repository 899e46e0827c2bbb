"""The board's side of proposals: list, draft, edit, submit, attachments, progress, carrying over.

Every view asks ``access_for`` first: a proposal the user may not see is a 404
(``get_proposal_or_404``), a step on a proposal they can see but may not take is
a 403, anonymous visitors go to the login page. The rules themselves live in
``programs.lifecycle``; a refusal because of the proposal's state comes back as
a message on the proposal's page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizations.access import access_for
from portal.lib.pagecache import cached_page
from portal.lib.uploads import serve_private

from .. import lifecycle, selectors
from ..forms import (
    AttachmentForm,
    CarryOverForm,
    CommentForm,
    CompleteForm,
    ProgressForm,
    ProposalForm,
    WithdrawForm,
    budget_formset,
    initial_from,
    with_added_row,
)
from ..models import Attachment, Cycle, Proposal


def _to_detail(proposal, anchor=""):
    return redirect(reverse("programs:detail", args=[proposal.pk]) + (f"#{anchor}" if anchor else ""))


def _refused(request, proposal, error: ValidationError, anchor=""):
    messages.error(request, " ".join(error.messages))
    return _to_detail(proposal, anchor)


def detail_response(request, proposal, access, *, status=200, **forms):
    """The proposal's page; views re-render it with a bound form (and its errors) through here.

    ``proposal`` should come from ``selectors.proposal_detail_queryset()``.
    """
    context = selectors.proposal_detail_context(proposal, access)
    context.update(
        comment_form=CommentForm(),
        attachment_form=AttachmentForm(),
        withdraw_form=WithdrawForm(),
    )
    context.update(forms)
    return render(request, "programs/detail.html", context, status=status)


# --- list -----------------------------------------------------------------------------------


@login_required
@require_GET
@cached_page
def proposal_list(request):
    """Pengurus: their board's proposals by cycle. Forum LPM: their kecamatan's. Staff: the review queue."""
    access = access_for(request.user)
    if access.can_review_proposals():
        return redirect("programs:queue")
    cycles = list(Cycle.objects.all())
    chosen = None
    wanted = request.GET.get("cycle", "")
    if wanted.isdigit():
        chosen = next((cycle for cycle in cycles if cycle.pk == int(wanted)), None)
    if chosen is None and cycles:
        chosen = cycles[0]  # the newest
    proposals = selectors.board_list(access, chosen) if chosen else []
    can_draft = access.proposal_boards().exists() and selectors.draftable_cycles().exists()
    return render(
        request,
        "programs/list.html",
        {
            "cycles": cycles,
            "chosen": chosen,
            "proposals": proposals,
            "can_draft": can_draft,
            "total_requested": sum(p.total_requested for p in proposals),
            "several_boards": len({p.board_id for p in proposals}) > 1,
        },
    )


# --- drafting ------------------------------------------------------------------------------------


def _form_page(request, *, form, lines, proposal=None, adding=False, files_dropped=False, status=200):
    return render(
        request,
        "programs/form.html",
        {"form": form, "lines": lines, "proposal": proposal, "adding": adding, "files_dropped": files_dropped},
        status=status,
    )


def _add_row_page(request, *, proposal=None, **form_kwargs):
    """"Tambah baris" without JavaScript: the same page with one more empty budget row, nothing saved."""
    data = with_added_row(request.POST)
    typed = ProposalForm(data, proposal=proposal, **form_kwargs)
    form = ProposalForm(initial=initial_from(typed, data), proposal=proposal, **form_kwargs)
    lines = budget_formset(data, proposal=proposal)
    lines.compute()
    return _form_page(request, form=form, lines=lines, proposal=proposal, adding=True,
                      files_dropped=bool(request.FILES))


def _save_attachments(request, proposal, uploads):
    for upload in uploads:
        lifecycle.attachment_add(proposal=proposal, upload=upload, by=request.user)


@login_required
@require_http_methods(["GET", "POST"])
def proposal_create(request):
    access = access_for(request.user)
    boards = access.proposal_boards()
    if not boards.exists():
        raise PermissionDenied
    cycles = selectors.draftable_cycles()
    if not cycles.exists():
        return render(request, "programs/form.html", {"no_cycle": True, "proposal": None})
    form_kwargs = {"boards": boards, "cycles": cycles}
    if request.method == "POST" and "add_line" in request.POST:
        return _add_row_page(request, **form_kwargs)

    if request.method == "GET":
        initial = {"priority": 1}
        wanted = request.GET.get("cycle", "")
        open_cycles = [cycle for cycle in cycles if cycle.is_open()]
        if wanted.isdigit() and any(cycle.pk == int(wanted) for cycle in cycles):
            initial["cycle"] = int(wanted)
        elif open_cycles:
            initial["cycle"] = open_cycles[0].pk
        return _form_page(request, form=ProposalForm(initial=initial, **form_kwargs), lines=budget_formset())

    form = ProposalForm(request.POST, request.FILES, **form_kwargs)
    lines = budget_formset(request.POST)
    # "&", not "and": both are validated so every message shows at once.
    if form.is_valid() & lines.is_valid():
        try:
            with transaction.atomic():
                proposal = lifecycle.proposal_create(
                    board=form.chosen_board(), cycle=form.cleaned_data["cycle"], by=request.user,
                    budget_lines=lines.lines(), **form.proposal_values(),
                )
                _save_attachments(request, proposal, form.cleaned_data["attachments"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Draf usulan “%(title)s” disimpan. Periksa kembali, lalu ajukan.")
                             % {"title": proposal.title})
            return _to_detail(proposal)
    lines.compute()
    return _form_page(request, form=form, lines=lines, files_dropped=bool(request.FILES), status=400)


def _editable_or_403(access, proposal):
    if not access.serves_board(proposal.board_id) or proposal.status not in Proposal.EDITABLE:
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def proposal_edit(request, pk):
    access = access_for(request.user)
    proposal = access.get_proposal_or_404(pk, Proposal.objects.prefetch_related("budget_lines"))
    _editable_or_403(access, proposal)
    if request.method == "POST" and "add_line" in request.POST:
        return _add_row_page(request, proposal=proposal)
    if request.method == "GET":
        return _form_page(request, form=ProposalForm(proposal=proposal), lines=budget_formset(proposal=proposal),
                          proposal=proposal)

    form = ProposalForm(request.POST, request.FILES, proposal=proposal)
    lines = budget_formset(request.POST, proposal=proposal)
    if form.is_valid() & lines.is_valid():
        try:
            with transaction.atomic():
                proposal = lifecycle.proposal_update(proposal=proposal, by=request.user, budget_lines=lines.lines(),
                                                     **form.proposal_values())
                _save_attachments(request, proposal, form.cleaned_data["attachments"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Perubahan disimpan."))
            return _to_detail(proposal)
    lines.compute()
    return _form_page(request, form=form, lines=lines, proposal=proposal, files_dropped=bool(request.FILES),
                      status=400)


# --- the proposal's page and the board's steps -----------------------------------------------------


@login_required
@require_GET
@cached_page
def proposal_detail(request, pk):
    access = access_for(request.user)
    proposal = access.get_proposal_or_404(pk, selectors.proposal_detail_queryset())
    return detail_response(request, proposal, access)


@login_required
@require_POST
def proposal_submit(request, pk):
    proposal = access_for(request.user).get_proposal_or_404(pk)
    try:
        lifecycle.proposal_submit(proposal=proposal, by=request.user)
    except ValidationError as error:
        return _refused(request, proposal, error)
    messages.success(request, _("Usulan diajukan ke DP3AKB. Anda akan diberi tahu bila ada tanggapan."))
    return _to_detail(proposal)


@login_required
@require_POST
def proposal_withdraw(request, pk):
    proposal = access_for(request.user).get_proposal_or_404(pk)
    form = WithdrawForm(request.POST)
    note = form.cleaned_data["note"].strip() if form.is_valid() else ""
    try:
        lifecycle.proposal_withdraw(proposal=proposal, by=request.user, note=note)
    except ValidationError as error:
        return _refused(request, proposal, error)
    messages.success(request, _("Usulan ditarik."))
    return _to_detail(proposal)


@login_required
@require_POST
def comment_add(request, pk):
    access = access_for(request.user)
    proposal = access.get_proposal_or_404(pk, selectors.proposal_detail_queryset())
    if not access.can_comment(proposal):
        raise PermissionDenied
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            lifecycle.comment_add(proposal=proposal, by=request.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Komentar dikirim."))
            return _to_detail(proposal, "riwayat")
    return detail_response(request, proposal, access, status=400, comment_form=form)


# --- attachments ----------------------------------------------------------------------------------


@login_required
@require_POST
def attachment_add(request, pk):
    access = access_for(request.user)
    proposal = access.get_proposal_or_404(pk, selectors.proposal_detail_queryset())
    if not access.serves_board(proposal.board_id):
        raise PermissionDenied
    if proposal.status not in Proposal.EDITABLE:
        messages.error(request, _("Lampiran hanya dapat ditambahkan selagi usulan berstatus draf atau perlu revisi."))
        return _to_detail(proposal)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = lifecycle.attachment_add(proposal=proposal, upload=form.cleaned_data["file"], by=request.user,
                                                  title=form.cleaned_data["title"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Lampiran “%(title)s” ditambahkan.") % {"title": attachment.title})
            return _to_detail(proposal, "lampiran")
    return detail_response(request, proposal, access, status=400, attachment_form=form)


@login_required
@require_GET
def attachment_download(request, pk, attachment_pk):
    """Only through here: whoever may see the proposal (documents and report photos alike)."""
    proposal = access_for(request.user).get_proposal_or_404(pk)
    attachment = get_object_or_404(Attachment, pk=attachment_pk, proposal=proposal)
    if not attachment.file or not attachment.file.storage.exists(attachment.file.name):
        raise Http404
    return serve_private(attachment.file, filename=attachment.filename, content_type=attachment.content_type)


@login_required
@require_POST
def attachment_delete(request, pk, attachment_pk):
    proposal = access_for(request.user).get_proposal_or_404(pk)
    attachment = get_object_or_404(Attachment, pk=attachment_pk, proposal=proposal)
    try:
        lifecycle.attachment_delete(attachment=attachment, by=request.user)
    except ValidationError as error:
        return _refused(request, proposal, error, "lampiran")
    messages.success(request, _("Lampiran “%(title)s” dihapus.") % {"title": attachment.title})
    return _to_detail(proposal, "lampiran")


# --- implementation ------------------------------------------------------------------------------


def _board_step(request, pk, allowed, refusal):
    """A proposal for one of the board's steps: 403 for others, back to the page when the state forbids it."""
    access = access_for(request.user)
    proposal = access.get_proposal_or_404(pk)
    if not access.serves_board(proposal.board_id):
        raise PermissionDenied
    if not allowed(selectors.board_actions(access, proposal)):
        messages.error(request, refusal)
        return access, proposal, _to_detail(proposal)
    return access, proposal, None


@login_required
@require_http_methods(["GET", "POST"])
def progress_add(request, pk):
    access, proposal, refused = _board_step(
        request, pk, lambda flags: flags.can_report,
        _("Laporan kemajuan hanya untuk usulan yang disetujui atau sedang dilaksanakan."),
    )
    if refused:
        return refused
    form = ProgressForm(request.POST or None, request.FILES or None,
                        initial={"report_date": timezone.localdate(), "percent": proposal.progress_percent,
                                 "spent": proposal.spent})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            lifecycle.progress_add(proposal=proposal, by=request.user, report_date=data["report_date"],
                                   percent=data["percent"], narrative=data["narrative"], spent=data["spent"],
                                   photos=data["photos"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Laporan kemajuan %(percent)s%% disimpan.") % {"percent": data["percent"]})
            return _to_detail(proposal, "laporan")
    return render(request, "programs/progress_form.html",
                  {"proposal": proposal, "form": form, "status_label": selectors.status_label(access, proposal)},
                  status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def proposal_complete(request, pk):
    access, proposal, refused = _board_step(
        request, pk, lambda flags: flags.can_complete,
        _("Hanya usulan yang sedang dilaksanakan yang dapat dinyatakan selesai."),
    )
    if refused:
        return refused
    form = CompleteForm(request.POST or None, request.FILES or None,
                        initial={"report_date": timezone.localdate(), "spent": proposal.spent})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            lifecycle.proposal_complete(proposal=proposal, by=request.user, report_date=data["report_date"],
                                        narrative=data["narrative"], spent=data["spent"], photos=data["photos"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Laporan akhir disimpan; kegiatan dinyatakan selesai."))
            return _to_detail(proposal, "laporan")
    return render(request, "programs/complete_form.html",
                  {"proposal": proposal, "form": form, "status_label": selectors.status_label(access, proposal)},
                  status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def proposal_carry_over(request, pk):
    access, proposal, refused = _board_step(
        request, pk, lambda flags: flags.can_carry_over,
        _("Hanya usulan yang ditolak atau belum diputuskan saat siklusnya ditutup yang dapat dilanjutkan, "
          "dan hanya sekali."),
    )
    if refused:
        return refused
    form = CarryOverForm(request.POST or None, proposal=proposal)
    if request.method == "POST" and form.is_valid():
        try:
            copy = lifecycle.proposal_carry_over(proposal=proposal, by=request.user, cycle=form.cleaned_data["cycle"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Draf baru dibuat di %(cycle)s. Periksa dan perbarui isinya sebelum diajukan.")
                             % {"cycle": copy.cycle.name})
            return _to_detail(copy)
    return render(request, "programs/carry_over.html",
                  {"proposal": proposal, "form": form, "status_label": selectors.status_label(access, proposal)},
                  status=400 if form.is_bound else 200)

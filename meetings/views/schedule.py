"""Scheduling and invitations: staff create, change and invite; invitees read the meeting page.

Every view asks ``access_for`` first: a meeting the user may not see is a 404,
a staff action on a meeting they can see is a 403.
"""

import os

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from organizations.access import access_for
from portal.lib.pagecache import cached_page
from portal.lib.uploads import serve_private

from .. import selectors, services
from ..forms import (
    CancelForm,
    CopyForm,
    GuestForm,
    MaterialForm,
    MeetingFilterForm,
    MeetingForm,
    ScopeForm,
    agenda_formset,
)
from ..models import Meeting

PAGE_SIZE = 20


def _require_manager(request):
    access = access_for(request.user)
    if not access.can_manage_meetings():
        raise PermissionDenied
    return access


def _refuse_unless_open(request, meeting):
    """Cancelled and held meetings are history: send staff back with the reason."""
    if selectors.meeting_actions(meeting).can_change:
        return None
    messages.error(request, _("Rapat yang sudah dibatalkan atau terlaksana tidak dapat diubah."))
    if request.htmx:
        # A fragment request must not swap a whole page into the form: reload the browser there instead.
        return HttpResponseClientRedirect(reverse("meetings:detail", args=[meeting.pk]))
    return redirect("meetings:detail", pk=meeting.pk)


def _unconfirmed(request, conflicts):
    """Clashes staff has not yet seen and accepted with "Tetap simpan"."""
    ids = selectors.conflict_ids(conflicts)
    confirmed = {int(value) for value in request.POST.get("confirmed_conflicts", "").split(",") if value.isdigit()}
    return bool(set(ids) - confirmed)


# --- list, detail ---------------------------------------------------------------------------


@login_required
@require_GET
def meeting_list(request):
    _require_manager(request)
    form = MeetingFilterForm(request.GET or None)
    meetings = selectors.meetings_filtered(**form.filters())
    page = Paginator(meetings, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "meetings/list.html",
        {
            "form": form,
            "page_obj": page,
            "query": query.urlencode(),
            "filtered": bool(form.filters()),
        },
    )


@login_required
@require_GET
@cached_page
def meeting_detail(request, pk):
    access = access_for(request.user)
    can_manage = access.can_manage_meetings()
    meeting = access.get_meeting_or_404(pk, selectors.meeting_detail_queryset(for_staff=can_manage))
    context = {
        "meeting": meeting,
        "access": access,
        "my_invitation": selectors.invitation_of(meeting=meeting, user=request.user),
        "can_manage": can_manage,
        "changes": selectors.change_log(meeting),
    }
    if can_manage:
        context["counts"] = selectors.invitation_counts(meeting)
        context["actions"] = selectors.meeting_actions(meeting)
    return render(request, "meetings/detail.html", context)


# --- create, edit, copy, cancel, held ---------------------------------------------------------


def _save_materials(request, meeting, uploads):
    for upload in uploads:
        services.material_add(meeting=meeting, upload=upload, by=request.user)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request):
    _require_manager(request)
    form = MeetingForm(request.POST or None, request.FILES or None)
    agenda = agenda_formset(request.POST or None)
    conflicts = None
    # "&", not "and": both are validated so every message shows at once.
    if request.method == "POST" and form.is_valid() & agenda.is_valid():
        values = form.meeting_values()
        conflicts = selectors.invitees_conflicts(
            start=values["start"], end=values["end"], person_ids=(), venue=values["venue"]
        )
        if not _unconfirmed(request, conflicts):
            try:
                with transaction.atomic():
                    meeting = services.meeting_create(by=request.user, agenda=agenda.agenda(), **values)
                    _save_materials(request, meeting, form.cleaned_data["materials"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request, _("Rapat “%(title)s” dijadwalkan. Sekarang undang pesertanya.") % {"title": meeting.title}
                )
                return redirect("meetings:invite", pk=meeting.pk)
    return render(
        request,
        "meetings/form.html",
        {
            "form": form,
            "agenda": agenda,
            "meeting": None,
            **_conflict_context(form, conflicts),
        },
    )


def _conflict_context(form, conflicts):
    if not conflicts or not selectors.conflict_ids(conflicts):
        return {"conflicts": None}
    return {
        "conflicts": conflicts,
        "confirmed_conflicts": ",".join(str(pk) for pk in selectors.conflict_ids(conflicts)),
        # A browser never re-sends a chosen file: say so rather than lose it silently.
        "files_dropped": bool(getattr(form, "cleaned_data", {}).get("materials")),
    }


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request, pk):
    meeting = access_for(request.user).get_managed_meeting_or_404(pk, Meeting.objects.prefetch_related("agenda_items"))
    if refused := _refuse_unless_open(request, meeting):
        return refused
    form = MeetingForm(request.POST or None, request.FILES or None, meeting=meeting)
    agenda = agenda_formset(request.POST or None, meeting=meeting)
    conflicts = None
    if request.method == "POST" and form.is_valid() & agenda.is_valid():
        values = form.meeting_values()
        moved = any(values[name] != getattr(meeting, name) for name in ("start", "end", "venue"))
        if moved:
            # Warn only when the time or place changes: clashes already accepted are not asked again.
            conflicts = selectors.invitees_conflicts(
                start=values["start"],
                end=values["end"],
                person_ids=selectors.invitee_person_ids(meeting),
                venue=values["venue"],
                exclude_meeting=meeting,
            )
        if not conflicts or not _unconfirmed(request, conflicts):
            sequence = meeting.sequence
            try:
                with transaction.atomic():
                    meeting = services.meeting_update(
                        meeting=meeting, by=request.user, agenda=agenda.agenda(), **values
                    )
                    _save_materials(request, meeting, form.cleaned_data["materials"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                if meeting.sequence != sequence:
                    messages.success(
                        request,
                        _(
                            "Perubahan disimpan. Perubahan waktu atau tempat ini dicatat "
                            "untuk diberitahukan kepada undangan."
                        ),
                    )
                else:
                    messages.success(request, _("Perubahan disimpan."))
                return redirect("meetings:detail", pk=meeting.pk)
    return render(
        request,
        "meetings/form.html",
        {
            "form": form,
            "agenda": agenda,
            "meeting": meeting,
            **_conflict_context(form, conflicts),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_copy(request, pk):
    source = access_for(request.user).get_managed_meeting_or_404(pk)
    start, end = selectors.copy_suggested_times(source)
    form = CopyForm(request.POST or None, initial={"start": start, "end": end})
    conflicts = None
    if request.method == "POST" and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        conflicts = selectors.invitees_conflicts(
            start=start, end=end, person_ids=selectors.invitee_person_ids(source), venue=source.venue
        )
        if not _unconfirmed(request, conflicts):
            try:
                copy = services.meeting_copy(meeting=source, by=request.user, start=start, end=end)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _(
                        "Salinan rapat dibuat dengan acara, undangan dan tempat yang sama. "
                        "Periksa lalu ubah bila perlu."
                    ),
                )
                return redirect("meetings:detail", pk=copy.pk)
    return render(
        request,
        "meetings/copy.html",
        {
            "form": form,
            "meeting": source,
            **_conflict_context(form, conflicts),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_cancel(request, pk):
    meeting = access_for(request.user).get_managed_meeting_or_404(pk)
    if refused := _refuse_unless_open(request, meeting):
        return refused
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_cancel(meeting=meeting, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("Rapat dibatalkan. Pembatalan ini dicatat untuk diberitahukan kepada undangan.")
            )
            return redirect("meetings:detail", pk=meeting.pk)
    return render(request, "meetings/cancel.html", {"form": form, "meeting": meeting})


@login_required
@require_http_methods(["GET", "POST"])
def meeting_mark_held(request, pk):
    meeting = access_for(request.user).get_managed_meeting_or_404(pk)
    error = None
    if request.method == "POST":
        try:
            services.meeting_mark_held(meeting=meeting, by=request.user)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            messages.success(request, _("Rapat ditandai terlaksana."))
            return redirect("meetings:detail", pk=meeting.pk)
    return render(
        request,
        "meetings/mark_held.html",
        {
            "meeting": meeting,
            "actions": selectors.meeting_actions(meeting),
            "error": error,
        },
        status=400 if error else 200,
    )


# --- invitations ------------------------------------------------------------------------------


def _invite_page(request, meeting, *, scope_form=None, preview=None, guest_form=None, status=200):
    context = {
        "meeting": meeting,
        "scope_form": scope_form or ScopeForm(),
        "preview": preview,
        "guest_form": guest_form or GuestForm(meeting=meeting),
    }
    if preview is not None:
        context["confirmed_conflicts"] = ",".join(str(pk) for pk in selectors.conflict_ids(preview.conflicts))
    if request.htmx:
        # The "Hitung" step swaps only the scope section.
        return render(request, "meetings/_invite_scope.html", context, status=status)
    context.update(
        {
            "counts": selectors.invitation_counts(meeting),
            "scopes": meeting.scopes.prefetch_related("kecamatan", "boards").order_by("created_at"),
            "guests": selectors.guests_of(meeting),
        }
    )
    return render(request, "meetings/invite.html", context, status=status)


def _preview(meeting, form):
    scope = form.scope()
    memberships = selectors.scope_memberships(**scope)
    boards = selectors.scope_boards(reach=scope["reach"], kecamatan=scope["kecamatan"], boards=scope["boards"])
    return selectors.scope_preview(meeting=meeting, memberships=memberships, boards=boards)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_invite(request, pk):
    """Step two of inviting: "Undang" adds the scope previewed by invite_preview."""
    meeting = access_for(request.user).get_managed_meeting_or_404(pk)
    if refused := _refuse_unless_open(request, meeting):
        return refused
    if request.method == "GET":
        return _invite_page(request, meeting)
    form = ScopeForm(request.POST)
    if not form.is_valid():
        return _invite_page(request, meeting, scope_form=form)
    preview = _preview(meeting, form)
    if _unconfirmed(request, preview.conflicts):
        # New clashes since the preview (or no preview at all): show them before inviting.
        return _invite_page(request, meeting, scope_form=form, preview=preview)
    try:
        result = services.invitations_add_scope(meeting=meeting, **form.scope())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("meetings:detail", pk=meeting.pk)
    messages.success(
        request,
        _("%(added)s orang ditambahkan ke undangan (%(reached)s orang dalam cakupan; sisanya sudah diundang).")
        % {"added": result.added, "reached": result.reached},
    )
    return redirect("meetings:invite", pk=meeting.pk)


@login_required
@require_GET
def invite_preview(request, pk):
    """Step one of inviting ("Hitung"): how many people a scope reaches, before anything is saved."""
    meeting = access_for(request.user).get_managed_meeting_or_404(pk)
    if refused := _refuse_unless_open(request, meeting):
        return refused
    form = ScopeForm(request.GET)
    if not form.is_valid():
        return _invite_page(request, meeting, scope_form=form)
    return _invite_page(request, meeting, scope_form=form, preview=_preview(meeting, form))


@login_required
@require_http_methods(["GET", "POST"])
def guest_add(request, pk):
    meeting = access_for(request.user).get_managed_meeting_or_404(pk)
    if refused := _refuse_unless_open(request, meeting):
        return refused
    form = GuestForm(request.POST or None, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            guest = services.invitation_add_guest(meeting=meeting, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("%(name)s ditambahkan sebagai tamu undangan.") % {"name": guest.name})
            return redirect("meetings:invite", pk=meeting.pk)
    return _invite_page(request, meeting, guest_form=form)


# --- materials ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def material_add(request, pk):
    meeting = access_for(request.user).get_managed_meeting_or_404(pk)
    form = MaterialForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            material = services.material_add(
                meeting=meeting, upload=form.cleaned_data["file"], by=request.user, title=form.cleaned_data["title"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Bahan “%(title)s” ditambahkan.") % {"title": material.title})
            return redirect("meetings:detail", pk=meeting.pk)
    return render(request, "meetings/material_form.html", {"form": form, "meeting": meeting})


@login_required
@require_GET
def material_download(request, pk, material_pk):
    """Only through here: staff, and invitees of the meeting."""
    meeting = access_for(request.user).get_meeting_or_404(pk)
    material = get_object_or_404(meeting.materials, pk=material_pk)
    if not material.file or not material.file.storage.exists(material.file.name):
        raise Http404
    return serve_private(
        material.file, filename=os.path.basename(material.file.name), content_type=material.content_type
    )

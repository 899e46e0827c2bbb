"""On the day and after: attendance, walk-ins, minutes, follow-ups and the printed documents.

Staff take attendance and write minutes; an invitee may read the minutes once
the meeting has started, and print their invitation letter. Everyone else gets
a 404 from ``get_meeting_or_404`` before any of this is looked at.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from organizations.access import access_for

from .. import pdf, services
from ..forms import AttendanceMarkForm, FollowUpForm, MinutesForm, WalkInForm
from ..models import FollowUp, Invitation, Minutes
from ..selectors import (
    attendance_sheet,
    attendance_summary,
    decision_lines,
    follow_ups_of_meeting,
    minutes_for_reader_or_404,
)


def _errors_as_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _form_errors_as_text(form) -> str:
    return " ".join(str(message) for messages_ in form.errors.values() for message in messages_)


# --- attendance ----------------------------------------------------------------------------


def _attendance_page(request, meeting, *, walk_in_form=None, mark_form=None, status=200):
    return render(request, "meetings/attendance.html", {
        "meeting": meeting,
        "rows": attendance_sheet(meeting),
        "summary": attendance_summary(meeting),
        "walk_in_form": walk_in_form or WalkInForm(prefix="walkin"),
        "mark_form": mark_form,
        "choices": Invitation.Attendance.choices,
        "is_cancelled": meeting.is_cancelled,
    }, status=status)


def _apply_mark(meeting, action) -> int:
    kind = action[0]
    if kind == "row":
        return services.attendance_mark(meeting=meeting, invitation_ids=[action[1]], status=action[2])
    if kind == "bulk":
        return services.attendance_mark(meeting=meeting, invitation_ids=action[1], status=action[2])
    return services.attendance_mark_accepted(meeting=meeting)


@login_required
@require_http_methods(["GET", "POST"])
def attendance(request, pk):
    meeting = access_for(request.user).get_managed_meeting_or_404(pk)
    if request.method == "GET":
        return _attendance_page(request, meeting)

    form = AttendanceMarkForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            messages.error(request, _form_errors_as_text(form))
            return HttpResponseClientRefresh()
        return _attendance_page(request, meeting, mark_form=form, status=400)
    action = form.cleaned_data["action"]
    try:
        changed = _apply_mark(meeting, action)
    except ValidationError as error:
        messages.error(request, _errors_as_text(error))
        # htmx swaps nothing on an error: reload the page so the message shows.
        return HttpResponseClientRefresh() if request.htmx else redirect("meetings:attendance", pk=meeting.pk)

    if action[0] == "row":
        row = meeting.invitations.filter(pk=action[1]).first()
        if row is None:
            raise Http404
        if request.htmx:
            # The row, plus the totals swapped out of band: one click, no page reload.
            return render(request, "meetings/attendance_row_update.html", {
                "meeting": meeting, "row": row, "summary": attendance_summary(meeting),
                "choices": Invitation.Attendance.choices,
            })
        messages.success(request, _("%(name)s ditandai %(status)s.") % {
            "name": row.name, "status": row.get_attendance_display().lower()})
        return redirect(reverse("meetings:attendance", args=[meeting.pk]) + f"#undangan-{row.pk}")

    messages.success(request, ngettext("%(count)d peserta ditandai.", "%(count)d peserta ditandai.", changed)
                     % {"count": changed})
    return redirect("meetings:attendance", pk=meeting.pk)


@login_required
@require_POST
def walk_in(request, pk):
    meeting = access_for(request.user).get_managed_meeting_or_404(pk)
    form = WalkInForm(request.POST, prefix="walkin")
    if form.is_valid():
        try:
            invitation = services.attendance_add_walk_in(meeting=meeting, **form.cleaned_data)
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, _errors_as_text(error))
                return redirect("meetings:attendance", pk=meeting.pk)
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s dicatat hadir.") % {"name": invitation.name})
            return redirect(reverse("meetings:attendance", args=[meeting.pk]) + f"#undangan-{invitation.pk}")
    return _attendance_page(request, meeting, walk_in_form=form, status=400)


# --- minutes and follow-ups -----------------------------------------------------------------


@login_required
@require_GET
def minutes(request, pk):
    access = access_for(request.user)
    meeting = access.get_meeting_or_404(pk)
    record = minutes_for_reader_or_404(access=access, meeting=meeting)
    return render(request, "meetings/minutes_detail.html", {
        "meeting": meeting,
        "minutes": record,
        "decisions": decision_lines(record),
        "follow_ups": follow_ups_of_meeting(meeting),
        "summary": attendance_summary(meeting),
        "can_manage": access.can_manage_meetings(),
    })


def _minutes_edit_page(request, meeting, *, minutes_form=None, follow_up_form=None, status=200):
    record = Minutes.objects.filter(meeting=meeting).first()
    return render(request, "meetings/minutes_edit.html", {
        "meeting": meeting,
        "minutes": record,
        "minutes_form": minutes_form or MinutesForm(
            initial={"summary": record.summary, "decisions": record.decisions} if record else None
        ),
        "follow_up_form": follow_up_form or FollowUpForm(prefix="fu"),
        "follow_ups": follow_ups_of_meeting(meeting),
        "is_cancelled": meeting.is_cancelled,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def minutes_edit(request, pk):
    meeting = access_for(request.user).get_managed_meeting_or_404(pk)
    if request.method == "GET":
        return _minutes_edit_page(request, meeting)
    form = MinutesForm(request.POST)
    if form.is_valid():
        try:
            services.minutes_save(meeting=meeting, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Notulen disimpan."))
            return redirect("meetings:minutes_edit", pk=meeting.pk)
    return _minutes_edit_page(request, meeting, minutes_form=form, status=400)


@login_required
@require_POST
def follow_up_add(request, pk):
    meeting = access_for(request.user).get_managed_meeting_or_404(pk)
    form = FollowUpForm(request.POST, prefix="fu")
    if form.is_valid():
        try:
            services.follow_up_add(meeting=meeting, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Tindak lanjut ditambahkan."))
            return redirect(reverse("meetings:minutes_edit", args=[meeting.pk]) + "#tindak-lanjut")
    return _minutes_edit_page(request, meeting, follow_up_form=form, status=400)


# Where the status buttons send the user back to: a fixed choice, never a free URL.
_BACK_TO = {"edit": "meetings:minutes_edit", "read": "meetings:minutes"}


@login_required
@require_POST
def follow_up_status(request, pk):
    follow_up = get_object_or_404(FollowUp.objects.only("pk", "meeting_id", "status"), pk=pk)
    meeting = access_for(request.user).get_managed_meeting_or_404(follow_up.meeting_id)
    try:
        services.follow_up_set_status(follow_up=follow_up, status=request.POST.get("status", ""))
    except ValidationError as error:
        messages.error(request, _errors_as_text(error))
    else:
        messages.success(request, _("Status tindak lanjut diperbarui: %(status)s.")
                         % {"status": follow_up.get_status_display().lower()})
    back = _BACK_TO.get(request.POST.get("next"), "meetings:minutes_edit")
    return redirect(reverse(back, args=[meeting.pk]) + "#tindak-lanjut")


# --- printed documents ------------------------------------------------------------------------------


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # Documents carry names: keep them out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def pdf_invitation(request, pk):
    # Staff and invitees alike: an invitee may print the letter they were sent.
    meeting = access_for(request.user).get_meeting_or_404(pk)
    return _pdf_response(pdf.invitation_letter(meeting), pdf.filename_for("undangan", meeting))


@login_required
@require_GET
def pdf_attendance(request, pk):
    meeting = access_for(request.user).get_managed_meeting_or_404(pk)
    return _pdf_response(pdf.attendance_sheet_pdf(meeting), pdf.filename_for("daftar-hadir", meeting))


@login_required
@require_GET
def pdf_minutes(request, pk):
    access = access_for(request.user)
    meeting = access.get_meeting_or_404(pk)
    record = minutes_for_reader_or_404(access=access, meeting=meeting)
    if record is None:
        # Staff asked before anything was written: nothing to print yet.
        raise Http404
    return _pdf_response(pdf.minutes_pdf(meeting, record), pdf.filename_for("notulen", meeting))

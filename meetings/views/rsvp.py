"""Answers to invitations (RSVP): in the portal, by the per-invitation link, and the staff table."""

import hmac
import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from organizations.access import access_for
from portal.lib.spreadsheets import EXPORT_FORMATS, XLSX_CONTENT_TYPE

from .. import exports, services
from ..models import Invitation

# The answers as they appear in links and forms: "?jawab=hadir" reads better in an e-mail than "accepted".
ANSWER_OF_SLUG = {
    "hadir": Invitation.Rsvp.ACCEPTED,
    "tidak": Invitation.Rsvp.DECLINED,
    "wakil": Invitation.Rsvp.DELEGATED,
}
SLUG_OF_ANSWER = {answer: slug for slug, answer in ANSWER_OF_SLUG.items()}
# Tokens are secrets.token_urlsafe(32) (43 characters); anything else is not worth a query.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,64}")


class RsvpForm(forms.Form):
    answer = forms.ChoiceField(
        label=gettext_lazy("Jawaban"),
        choices=[
            ("hadir", gettext_lazy("Hadir")),
            ("tidak", gettext_lazy("Tidak hadir")),
            ("wakil", gettext_lazy("Diwakilkan")),
        ],
        error_messages={
            "required": gettext_lazy("Pilih salah satu jawaban."),
            "invalid_choice": gettext_lazy("Pilih salah satu jawaban."),
        },
    )
    delegate_name = forms.CharField(
        label=gettext_lazy("Nama wakil"), max_length=150, required=False,
        error_messages={"max_length": gettext_lazy("Nama wakil paling banyak %(limit_value)d huruf.")},
    )
    delegate_email = forms.EmailField(
        label=gettext_lazy("E-mail wakil (boleh dikosongkan)"), required=False,
        error_messages={"invalid": gettext_lazy("Tuliskan alamat e-mail yang benar, misalnya nama@contoh.id.")},
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("answer") == "wakil" and not " ".join(cleaned.get("delegate_name", "").split()):
            self.add_error("delegate_name", _("Tuliskan nama yang mewakili Anda."))
        return cleaned


def _initial(invitation):
    initial = {"answer": SLUG_OF_ANSWER.get(invitation.rsvp, "")}
    if invitation.rsvp == Invitation.Rsvp.DELEGATED:
        initial.update(delegate_name=invitation.delegate_name, delegate_email=invitation.delegate_email)
    return initial


class AnswersClosed(Exception):
    pass


def _record(invitation, form):
    """Save a valid form's answer and return the saved invitation; service errors go next to their field."""
    data = form.cleaned_data
    try:
        return services.invitation_answer(
            invitation=invitation,
            answer=ANSWER_OF_SLUG[data["answer"]],
            delegate_name=data["delegate_name"],
            delegate_email=data["delegate_email"],
        )
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            # The meeting started (or was cancelled) while the form was open.
            raise AnswersClosed from error
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return None


def _answered_message(invitation):
    if invitation.rsvp == Invitation.Rsvp.DELEGATED:
        return _("Terima kasih. Jawaban Anda tercatat: diwakilkan oleh %(name)s.") % {"name": invitation.delegate_name}
    return _("Terima kasih. Jawaban Anda tercatat: %(answer)s.") % {"answer": invitation.get_rsvp_display()}


# --- in the portal ------------------------------------------------------------------------------------


@login_required
@require_POST
def rsvp_portal(request, pk):
    """The logged-in invitee answers their own invitation to meeting ``pk``."""
    access = access_for(request.user)
    meeting = access.get_meeting_or_404(pk)
    invitation = meeting.invitations.for_user(request.user).first()
    if invitation is None:
        # Staff may see every meeting, but only invitees answer.
        raise PermissionDenied
    invitation.meeting = meeting
    detail_url = reverse("meetings:detail", args=[meeting.pk])
    if not meeting.rsvp_open():
        messages.error(request, _closed_message(meeting))
        return redirect(detail_url)
    form = RsvpForm(request.POST)
    try:
        saved = _record(invitation, form) if form.is_valid() else None
        if saved is not None:
            messages.success(request, _answered_message(saved))
            return redirect(detail_url)
    except AnswersClosed:
        meeting.refresh_from_db()
        messages.error(request, _closed_message(meeting))
        return redirect(detail_url)
    return render(request, "meetings/rsvp_portal.html", {
        "meeting": meeting, "invitation": invitation, "form": form,
        "action": reverse("meetings:rsvp", args=[meeting.pk]),
    })


def _closed_message(meeting):
    if meeting.is_cancelled:
        return _("Rapat ini dibatalkan; jawaban tidak lagi diperlukan.")
    return _("Jawaban untuk rapat ini sudah ditutup karena rapat sudah dimulai.")


# --- by the link in the e-mail, without logging in -------------------------------------------------------


def invitation_for_token(token):
    """The invitation a link's token belongs to, or None.

    The unique index finds the row; the constant-time comparison keeps the
    check itself from leaking how much of a guessed token was right.
    """
    if not isinstance(token, str) or not TOKEN_SHAPE.fullmatch(token):
        return None
    invitation = Invitation.objects.select_related("meeting").filter(token=token).order_by().first()
    if invitation is None or not hmac.compare_digest(invitation.token.encode(), token.encode()):
        return None
    return invitation


@require_http_methods(["GET", "POST"])
@never_cache
@ensure_csrf_cookie
def rsvp_token(request, token):
    """One invitee's answer page, reached from the e-mail; no login needed, CSRF still checked."""
    invitation = invitation_for_token(token)
    if invitation is None:
        return render(request, "meetings/rsvp_invalid.html", status=404)
    meeting = invitation.meeting
    context = {"meeting": meeting, "invitation": invitation, "agenda": meeting.agenda_items.all()}
    if meeting.is_cancelled:
        return render(request, "meetings/rsvp_cancelled.html", context)
    if not meeting.rsvp_open():
        return render(request, "meetings/rsvp_token.html", {**context, "closed": True})

    suggested = request.GET.get("jawab", "")
    if request.method == "POST":
        form = RsvpForm(request.POST)
        try:
            saved = _record(invitation, form) if form.is_valid() else None
            if saved is not None:
                messages.success(request, _answered_message(saved))
                return redirect(reverse("meetings:rsvp_token", args=[invitation.token]))
        except AnswersClosed:
            meeting.refresh_from_db()
            template = "meetings/rsvp_cancelled.html" if meeting.is_cancelled else "meetings/rsvp_token.html"
            return render(request, template, {**context, "closed": True})
        suggested = form.data.get("answer", "")
    else:
        initial = _initial(invitation)
        if suggested in ANSWER_OF_SLUG:
            # A tap on "Hadir" in the e-mail opens the page with that answer
            # ready to confirm; only the POST from this page records it.
            initial["answer"] = suggested
        form = RsvpForm(initial=initial)
    return render(request, "meetings/rsvp_token.html", {
        **context,
        "form": form,
        "suggested": suggested if suggested in ANSWER_OF_SLUG else "",
        "action": reverse("meetings:rsvp_token", args=[invitation.token]),
    })


# --- the staff table ------------------------------------------------------------------------------------


@login_required
@require_GET
def rsvp_table(request, pk):
    meeting = access_for(request.user).get_managed_meeting_or_404(pk)
    summary = exports.rsvp_summary(meeting)
    shown = request.GET.get("jawaban", "")
    invitations = summary.invitations
    if shown in Invitation.Rsvp.values:
        invitations = [invitation for invitation in invitations if invitation.rsvp == shown]
    else:
        shown = ""
    return render(request, "meetings/rsvp_table.html", {
        "meeting": meeting,
        "summary": summary,
        "invitations": invitations,
        "shown": shown,
        "answer_choices": Invitation.Rsvp.choices,
    })


@login_required
@require_GET
@never_cache
def rsvp_export(request, pk, fmt):
    if fmt not in EXPORT_FORMATS:
        raise Http404
    meeting = access_for(request.user).get_managed_meeting_or_404(pk)
    invitations = list(exports.rsvp_invitations(meeting))
    filename = f"jawaban-rapat-{meeting.pk}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(exports.rsvp_csv(invitations), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(exports.rsvp_xlsx(invitations, title=meeting.title),
                                content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

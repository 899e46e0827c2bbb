"""Every URL of the project against six personas, from one table that mirrors the brief's section 6.

The URL list comes from the resolver: a new URL without a row in ``MATRIX``
fails ``test_every_url_has_a_row``. Each row says how the URL is requested
and what each persona gets:

- ``OK``: the page or the action (200, or a redirect that is not to the login page);
- ``LOGIN``: anonymous users are sent to the login page;
- ``403``: the user may see the object but not do this;
- ``404``: the user may not know the object exists (another board's, a meeting they are not invited to);
- ``405``: the method is not offered.

Objects are built once per test by ``objects``: board A's meeting that
officer A and A's Forum coordinator are invited to, a past meeting with
minutes, board A's proposals at the stages the actions need, and so on.
Third-party URLs (admin, allauth, Django's i18n) are checked by their own
tests; they are listed in ``EXTERNAL`` so that nothing is silently skipped.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from meetings import services as meeting_services
from meetings.models import CalendarFeed, FollowUp, Invitation, Meeting, Minutes, Notification, Reminder
from programs.models import Attachment, Proposal
from reports.models import ExportJob
from tests import factories

PERSONAS = ("anonymous", "officer_a", "officer_b", "coordinator_a", "staff", "admin_user")
OK, LOGIN = "OK", "LOGIN"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# URL-name prefixes served by third-party apps and tested where they are configured
# (tests/portal/test_accounts.py, test_security.py, tests/organizations/test_admin.py).
EXTERNAL = ("admin:", "account_", "mfa_", "set_language")


def row(method, kwargs, anonymous, officer_a, officer_b, coordinator_a, staff, admin_user, data=None):
    return {
        "method": method, "kwargs": kwargs, "data": data or {},
        "expect": dict(zip(PERSONAS, (anonymous, officer_a, officer_b, coordinator_a, staff, admin_user))),
    }


# Staff-only actions on a meeting the officer and the coordinator are invited to (they see it: 403),
# that officer B is not (404).
def staff_on_meeting(method, kwargs, data=None):
    return row(method, kwargs, LOGIN, "403", "404", "403", OK, OK, data)


def staff_only(method, kwargs=None, data=None):
    return row(method, kwargs or {}, LOGIN, "403", "403", "403", OK, OK, data)


def everyone_logged_in(method="get", kwargs=None):
    return row(method, kwargs or {}, LOGIN, OK, OK, OK, OK, OK)


def invitees(method="get", kwargs=None):
    """A meeting page: invitees and staff see it; officer B, not invited, must not learn it exists."""
    return row(method, kwargs or {}, LOGIN, OK, "404", OK, OK, OK)


MATRIX = {
    # --- portal ---------------------------------------------------------------------------------
    "home": everyone_logged_in(),
    "healthz": row("get", {}, OK, OK, OK, OK, OK, OK),
    # --- organizations (brief §6: own board; coordinator: own kecamatan; staff read) ----------------
    "organizations:board_list": everyone_logged_in(),
    "organizations:my_board": everyone_logged_in(),
    "organizations:board_detail": row("get", {"pk": "board_a"}, LOGIN, OK, "404", OK, OK, OK),
    # --- meetings ----------------------------------------------------------------------------------
    "meetings:agenda": everyone_logged_in(),
    "meetings:month": everyone_logged_in(),
    "meetings:feed_manage": everyone_logged_in(),
    # The feed's token is the credential: whoever holds the link gets the calendar.
    "meetings:feed": row("get", {"token": "feed_token"}, OK, OK, OK, OK, OK, OK),
    "meetings:ics": invitees(kwargs={"pk": "meeting"}),
    "meetings:detail": invitees(kwargs={"pk": "meeting"}),
    "meetings:list": staff_only("get"),
    "meetings:create": staff_only("get"),
    "meetings:edit": staff_on_meeting("get", {"pk": "meeting"}),
    "meetings:cancel": staff_on_meeting("get", {"pk": "meeting"}),
    "meetings:mark_held": staff_on_meeting("get", {"pk": "meeting"}),
    "meetings:copy": staff_on_meeting("get", {"pk": "meeting"}),
    "meetings:invite": staff_on_meeting("get", {"pk": "meeting"}),
    "meetings:invite_preview": staff_on_meeting("get", {"pk": "meeting"}),
    "meetings:guest_add": staff_on_meeting("post", {"pk": "meeting"}),
    "meetings:material_add": staff_on_meeting("get", {"pk": "meeting"}),
    "meetings:material_download": invitees(kwargs={"pk": "meeting", "material_pk": "material"}),
    # Answering: an invitee's own invitation; staff are not invited to this one.
    "meetings:rsvp": row("post", {"pk": "meeting"}, LOGIN, OK, "404", OK, "403", "403", data={"answer": "hadir"}),
    "meetings:rsvp_token": row("get", {"token": "rsvp_token"}, OK, OK, OK, OK, OK, OK),
    "meetings:rsvp_table": staff_on_meeting("get", {"pk": "meeting"}),
    "meetings:rsvp_export": staff_on_meeting("get", {"pk": "meeting", "fmt": "csv"}),
    "meetings:attendance": staff_on_meeting("get", {"pk": "past_meeting"}),
    "meetings:walk_in": staff_on_meeting("post", {"pk": "past_meeting"}, data={"walkin-name": "Tamu Undangan"}),
    "meetings:minutes": invitees(kwargs={"pk": "past_meeting"}),
    "meetings:minutes_edit": staff_on_meeting("get", {"pk": "past_meeting"}),
    "meetings:follow_up_add": staff_on_meeting(
        "post", {"pk": "past_meeting"}, data={"fu-description": "Kirim data", "fu-board": "board_a",
                                              "fu-due_date": "next_week"}),
    "meetings:follow_up_status": staff_on_meeting("post", {"pk": "follow_up"}, data={"status": "done"}),
    "meetings:pdf_invitation": invitees(kwargs={"pk": "meeting"}),
    "meetings:pdf_attendance": staff_on_meeting("get", {"pk": "past_meeting"}),
    "meetings:pdf_minutes": invitees(kwargs={"pk": "past_meeting"}),
    "meetings:notifications": everyone_logged_in(),
    # Each user's own notices only.
    "meetings:notification_read": row("post", {"pk": "notification"}, LOGIN, OK, "404", "404", "404", "404"),
    "meetings:notifications_read_all": everyone_logged_in("post"),
    "meetings:reminder_resend": staff_on_meeting("post", {"pk": "meeting", "reminder_pk": "failed_reminder"}),
}


# A proposal's actions: board A's pengurus (officer_a is its Ketua), the Forum of its kecamatan
# (coordinator_a: sees it once submitted, may only recommend), staff review, admin everything.
def board_step(method, kwargs, coordinator="403", data=None):
    return row(method, kwargs, LOGIN, OK, "404", coordinator, "403", OK, data)


def review_step(method, kwargs, data=None):
    return row(method, kwargs, LOGIN, "403", "404", "403", OK, OK, data)


MATRIX.update({
    "programs:list": everyone_logged_in(),
    "programs:queue": staff_only("get"),
    "programs:queue_export": staff_only("get", {"fmt": "csv"}),
    # Drafting is for pengurus of a kelurahan LPM (officer B for their own board); not for the Forum or staff.
    "programs:create": row("get", {}, LOGIN, OK, OK, "403", "403", OK),
    "programs:detail": row("get", {"pk": "submitted"}, LOGIN, OK, "404", OK, OK, OK),
    # A draft is the board's own: the Forum does not see it yet.
    "programs:edit": board_step("get", {"pk": "draft"}, coordinator="404"),
    "programs:submit": board_step("post", {"pk": "draft"}, coordinator="404"),
    "programs:withdraw": board_step("post", {"pk": "submitted"}),
    "programs:carry_over": board_step("get", {"pk": "rejected"}),
    "programs:attachment_add": board_step("post", {"pk": "draft"}, coordinator="404",
                                          data={"title": "Proposal", "file": "pdf_upload"}),
    "programs:attachment_download": row("get", {"pk": "submitted", "attachment_pk": "submitted_attachment"},
                                        LOGIN, OK, "404", OK, OK, OK),
    "programs:attachment_delete": board_step("post", {"pk": "draft", "attachment_pk": "draft_attachment"},
                                             coordinator="404"),
    "programs:progress_add": board_step("get", {"pk": "approved"}),
    "programs:complete": board_step("get", {"pk": "in_progress"}),
    "programs:comment": row("post", {"pk": "submitted"}, LOGIN, OK, "404", "403", OK, OK,
                            data={"text": "Mohon dicek."}),
    "programs:recommend": row("post", {"pk": "submitted"}, LOGIN, "403", "404", OK, "403", OK,
                              data={"recommends": "1", "note": "Dibutuhkan warga."}),
    "programs:start_review": review_step("post", {"pk": "submitted"}),
    "programs:request_revision": review_step("post", {"pk": "under_review"}, data={"note": "Lengkapi."}),
    "programs:approve": review_step("post", {"pk": "under_review"}, data={"approved_budget": "1.000.000"}),
    "programs:reject": review_step("post", {"pk": "under_review"}, data={"reason": "Di luar prioritas."}),
    "programs:evaluate": review_step("post", {"pk": "completed"}, data={
        "targets_met": "1", "beneficiaries_reached": "30", "budget_realised": "1.000.000", "score": "4"}),
    "programs:cycles": staff_only("get"),
    "programs:cycle_create": staff_only("get"),
    "programs:cycle_edit": staff_only("get", {"pk": "cycle"}),
    "programs:cycle_publish": staff_only("get", {"pk": "cycle"}),
})


def dashboard_reader(method="get", kwargs=None, data=None):
    """Staff for the city, a Forum coordinator for their kecamatan; an officer has their home page."""
    return row(method, kwargs or {}, LOGIN, "403", "403", OK, OK, OK, data)


def export_owner(kwargs):
    """A prepared export (it may hold contacts) is its owner's alone: staff made this one."""
    return row("get", kwargs, LOGIN, "404", "404", "404", OK, "404")


MATRIX.update({
    "reports:dashboard": dashboard_reader(),
    "reports:recap": dashboard_reader(),
    "reports:exports": dashboard_reader(),
    # The membership directory carries every pengurus' contacts: staff only.
    "reports:export_create": row("post", {"kind": "directory"}, LOGIN, "403", "403", "403", OK, OK),
    "reports:export_job": export_owner({"pk": "export_job"}),
    "reports:export_job_status": export_owner({"pk": "export_job"}),
    "reports:export_download": export_owner({"pk": "export_job"}),
})


def _walk(resolver, namespace=None):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            yield from _walk(pattern, f"{namespace}:{inner}" if namespace and inner else inner or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def project_url_names():
    return sorted({name for name in _walk(get_resolver()) if not name.startswith(EXTERNAL)})


def test_every_url_has_a_row():
    names = set(project_url_names())
    assert names - set(MATRIX) == set(), "add these URLs to MATRIX with each persona's expected outcome"
    assert set(MATRIX) - names == set(), "these rows name URLs that no longer exist"


# --- the objects the rows refer to -------------------------------------------------------------------


@pytest.fixture
def objects(world, officer_a, officer_b, coordinator_a, staff, admin_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    now = timezone.now()
    meeting = factories.MeetingFactory(organiser=staff)
    invitation_a = factories.InvitationFactory(meeting=meeting, person=officer_a.person, board=world["board_a"])
    factories.InvitationFactory(meeting=meeting, person=coordinator_a.person, board=world["forum_a"])
    material = meeting_services.material_add(
        meeting=meeting, upload=SimpleUploadedFile("bahan.pdf", PDF, content_type="application/pdf"), by=staff)
    failed = Reminder.objects.create(meeting=meeting, invitation=invitation_a, kind=Reminder.Kind.REMINDER,
                                     slot="h-1", due_at=now, status=Reminder.Status.FAILED, attempts=5)

    past = factories.MeetingFactory(organiser=staff, start=now - datetime.timedelta(days=2),
                                    end=now - datetime.timedelta(days=2) + datetime.timedelta(hours=2),
                                    status=Meeting.Status.HELD)
    for user, board in ((officer_a, world["board_a"]), (coordinator_a, world["forum_a"])):
        factories.InvitationFactory(meeting=past, person=user.person, board=board,
                                    attendance=Invitation.Attendance.PRESENT)
    Minutes.objects.create(meeting=past, written_by=staff, summary="Ringkasan rapat.")
    follow_up = FollowUp.objects.create(meeting=past, board=world["board_a"], description="Serahkan data.",
                                        due_date=timezone.localdate() + datetime.timedelta(days=7))

    cycle = factories.CycleFactory()
    proposals = {}
    for status in ("draft", "submitted", "under_review", "approved", "in_progress", "completed", "rejected"):
        proposal = factories.ProposalFactory(board=world["board_a"], cycle=cycle, title=f"Usulan {status}")
        fields = {"status": status}
        if status in ("approved", "in_progress", "completed", "rejected"):
            fields.update(decided_at=now, decision_published_at=now, decided_by=staff)
            if status != "rejected":
                fields["approved_budget"] = proposal.total_requested
        Proposal.objects.filter(pk=proposal.pk).update(**fields)
        proposals[status] = proposal.pk
    # Somewhere to carry the rejected one to.
    factories.CycleFactory(opens_on=timezone.localdate() + datetime.timedelta(days=60),
                           closes_on=timezone.localdate() + datetime.timedelta(days=90))
    attachments = {
        f"{status}_attachment": Attachment.objects.create(
            proposal_id=proposals[status], title="Proposal", filename="proposal.pdf",
            content_type="application/pdf", size=len(PDF),
            file=private_file("programs", f"proposal-{status}.pdf", PDF),
        ).pk
        for status in ("draft", "submitted")
    }

    export_job = ExportJob.objects.create(
        owner=staff, kind="directory", status="done", filename="direktori.xlsx", finished_at=now,
        file=private_file("reports", "direktori.xlsx", b"PK\x03\x04 stand-in for a workbook"))

    return {
        **proposals,
        "export_job": export_job.pk,
        **attachments,
        "cycle": cycle.pk,
        "pdf_upload": SimpleUploadedFile("proposal.pdf", PDF, content_type="application/pdf"),
        "board_a": world["board_a"].pk,
        "next_week": (timezone.localdate() + datetime.timedelta(days=7)).isoformat(),
        "meeting": meeting.pk,
        "past_meeting": past.pk,
        "material": material.pk,
        "failed_reminder": failed.pk,
        "follow_up": follow_up.pk,
        "rsvp_token": invitation_a.token,
        "feed_token": CalendarFeed.objects.create(user=officer_a).token,
        "notification": Notification.objects.create(user=officer_a, text="Pemberitahuan uji").pk,
    }


def private_file(folder, name, content):
    """A file saved in private storage, as an upload or an export would leave it."""
    from django.core.files.base import ContentFile

    from portal.lib.uploads import private_storage, upload_path

    return private_storage.save(upload_path(folder, name), ContentFile(content))


def _resolve(values, objects):
    """Names of objects in a row ("meeting", "board_a") replaced by their keys."""
    return {key: objects.get(value, value) if isinstance(value, str) else value for key, value in values.items()}


def _url(name, kwargs, objects):
    return reverse(name, kwargs=_resolve(kwargs, objects))


def _client(request, persona):
    client = Client()
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    return client


def _outcome(response) -> str:
    if response.status_code in (301, 302):
        return LOGIN if "/accounts/login/" in response["Location"] else OK
    if response.status_code == 200:
        return OK
    return str(response.status_code)


CASES = [(name, persona) for name in sorted(MATRIX) for persona in PERSONAS]


@pytest.mark.parametrize(("name", "persona"), CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_permission(request, objects, name, persona):
    spec = MATRIX[name]
    client = _client(request, persona)
    url = _url(name, spec["kwargs"], objects)
    response = getattr(client, spec["method"])(url, _resolve(spec["data"], objects))
    assert _outcome(response) == spec["expect"][persona], f"{spec['method'].upper()} {url} as {persona}"


# --- POST without a CSRF token ---------------------------------------------------------------------------


POST_ROWS = sorted(name for name, spec in MATRIX.items() if spec["method"] == "post")


@pytest.mark.parametrize("name", POST_ROWS)
def test_post_without_csrf_token_is_refused(request, objects, name):
    """Even for a persona allowed to act, a POST without the token never reaches the view."""
    spec = MATRIX[name]
    persona = next(p for p in reversed(PERSONAS) if spec["expect"][p] == OK)
    client = Client(enforce_csrf_checks=True)
    client.force_login(request.getfixturevalue(persona))
    response = client.post(_url(name, spec["kwargs"], objects), _resolve(spec["data"], objects))
    assert response.status_code == 403


# --- token links -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, key", [("meetings:rsvp_token", "rsvp_token"), ("meetings:feed", "feed_token")])
def test_wrong_tampered_or_revoked_tokens_give_404(objects, officer_a, name, key):
    token = objects[key]
    assert Client().get(reverse(name, kwargs={"token": token})).status_code == 200
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for wrong in (tampered, "x" * len(token), token[:10]):
        assert Client().get(reverse(name, kwargs={"token": wrong})).status_code == 404, wrong
    # Revoked: a regenerated feed link, an invitation withdrawn from the meeting.
    if key == "feed_token":
        meeting_services.calendar_feed_regenerate(user=officer_a)
    else:
        Invitation.objects.filter(token=token).delete()
    assert Client().get(reverse(name, kwargs={"token": token})).status_code == 404


@pytest.mark.parametrize("name, key", [("meetings:rsvp_token", "rsvp_token"), ("meetings:feed", "feed_token")])
def test_tokens_are_compared_in_constant_time(objects, monkeypatch, name, key):
    """The stored token and the one in the link meet in hmac.compare_digest, never in ==."""
    import hmac

    compared = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    token = objects[key]
    assert Client().get(reverse(name, kwargs={"token": token})).status_code == 200
    assert (token.encode(), token.encode()) in compared

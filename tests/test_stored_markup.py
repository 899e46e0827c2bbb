"""Text people typed that looks like HTML is shown as text everywhere: pages, PDFs and e-mails.

Every free-text field a user can fill is stored with a script tag and an
image with an ``onerror`` handler in it; each page, document and message
that shows those fields must show the characters, never run them.
"""

import datetime
import io

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from meetings import notices
from meetings.models import AgendaItem, FollowUp, Invitation, Meeting, Minutes, Reminder
from programs import lifecycle
from programs import notices as proposal_notices
from programs.models import Notice, ProposalEvent
from tests import factories

SCRIPT = '<script>alert("xss")</script>'
IMAGE = '<img src=x onerror="alert(1)">'
PAYLOAD = f"Rakor {SCRIPT} {IMAGE}"
ESCAPED_SCRIPT = "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;"


def assert_shown_as_text(content: str, where: str):
    assert SCRIPT not in content, f"a raw script tag in {where}"
    assert "<img src=x" not in content, f"a raw image tag in {where}"
    assert ESCAPED_SCRIPT in content, f"the typed text is missing from {where}"


@pytest.fixture
def marked_up(world, officer_a, coordinator_a, staff):
    """A meeting, its minutes and follow-up, and a proposal, all with markup in every text field."""
    now = timezone.now()
    meeting = factories.MeetingFactory(
        organiser=staff, title=PAYLOAD, description=PAYLOAD, venue=PAYLOAD, reminder_note=PAYLOAD,
        start=now - datetime.timedelta(days=1), end=now - datetime.timedelta(days=1) + datetime.timedelta(hours=2),
        status=Meeting.Status.HELD,
    )
    AgendaItem.objects.create(meeting=meeting, order=1, title=PAYLOAD, presenter=PAYLOAD)
    invitation = factories.InvitationFactory(meeting=meeting, person=officer_a.person, board=world["board_a"],
                                             name=PAYLOAD, board_name=PAYLOAD, position=PAYLOAD,
                                             attendance=Invitation.Attendance.PRESENT)
    Minutes.objects.create(meeting=meeting, written_by=staff, summary=PAYLOAD, decisions=PAYLOAD)
    FollowUp.objects.create(meeting=meeting, board=world["board_a"], description=PAYLOAD,
                            due_date=timezone.localdate() + datetime.timedelta(days=5))

    cycle = factories.CycleFactory(name=f"Siklus {SCRIPT}")
    proposal = factories.ProposalFactory(
        board=world["board_a"], cycle=cycle, title=PAYLOAD, background=PAYLOAD, goals=PAYLOAD, location=PAYLOAD,
        location_rt_rw="RT 1", lines=[(PAYLOAD, 2, "unit", 100_000)],
    )
    lifecycle.proposal_submit(proposal=proposal, by=officer_a)
    lifecycle.comment_add(proposal=proposal, by=officer_a, text=PAYLOAD)
    lifecycle.recommendation_save(proposal=proposal, by=coordinator_a, recommends=True, note=PAYLOAD)
    return {"meeting": meeting, "invitation": invitation, "proposal": proposal, "cycle": cycle}


def test_pages_show_markup_as_text(marked_up, officer_a, staff, world):
    meeting, proposal = marked_up["meeting"], marked_up["proposal"]
    staff_client, officer_client = Client(), Client()
    staff_client.force_login(staff)
    officer_client.force_login(officer_a)
    pages = {
        staff_client: [
            reverse("meetings:detail", args=[meeting.pk]),
            reverse("meetings:list"),
            reverse("meetings:rsvp_table", args=[meeting.pk]),
            reverse("meetings:attendance", args=[meeting.pk]),
            reverse("meetings:minutes", args=[meeting.pk]),
            reverse("programs:detail", args=[proposal.pk]),
            reverse("programs:queue"),
            reverse("reports:dashboard") + f"?cycle={marked_up['cycle'].pk}",
        ],
        officer_client: [
            reverse("meetings:detail", args=[meeting.pk]),
            reverse("programs:list") + f"?cycle={marked_up['cycle'].pk}",
            reverse("programs:detail", args=[proposal.pk]),
            reverse("organizations:board_detail", args=[world["board_a"].pk]),
        ],
    }
    checked = 0
    for client, urls in pages.items():
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            content = response.content.decode()
            assert SCRIPT not in content and "<img src=x" not in content, url
            checked += "&lt;script&gt;" in content  # the stored text is there, as text
    # Every page shows at least one of the stored fields.
    assert checked == sum(len(urls) for urls in pages.values())


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize("name", ["meetings:pdf_invitation", "meetings:pdf_attendance", "meetings:pdf_minutes"])
def test_pdfs_print_markup_as_text(marked_up, staff, name):
    client = Client()
    client.force_login(staff)
    response = client.get(reverse(name, args=[marked_up["meeting"].pk]))
    assert response.status_code == 200
    text = " ".join(_pdf_text(b"".join(response.streaming_content) if response.streaming else response.content)
                    .split())
    # The characters are printed, so the markup never became part of the document.
    assert "<script>" in text


def test_recap_pdf_prints_markup_as_text(marked_up, staff):
    client = Client()
    client.force_login(staff)
    response = client.get(reverse("reports:recap") + f"?cycle={marked_up['cycle'].pk}")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert "<script>" in " ".join(_pdf_text(content).split())


def test_meeting_email_shows_markup_as_text(marked_up):
    row = Reminder.objects.create(meeting=marked_up["meeting"], invitation=marked_up["invitation"],
                                  kind=Reminder.Kind.REMINDER, slot="2h", due_at=timezone.now())
    message = notices.build_message(row)
    html = message.alternatives[0][0]
    assert_shown_as_text(html, "the meeting e-mail's HTML part")
    assert SCRIPT in message.body  # plain text: the characters as typed


def test_proposal_email_shows_markup_as_text(marked_up, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    comment = ProposalEvent.objects.get(proposal=marked_up["proposal"], kind=ProposalEvent.Kind.COMMENT)
    notice = Notice.objects.filter(event=comment).first()
    assert notice is not None
    message = proposal_notices.build_message(notice)
    assert_shown_as_text(message.alternatives[0][0], "the proposal e-mail's HTML part")
    assert SCRIPT in message.body
    assert not mail.outbox

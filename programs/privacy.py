"""The proposals' part of a person's data export and anonymisation (see organizations.privacy).

Proposals belong to boards, not people; what names a person is the account
that drafted, commented or decided (the events' actor and its name snapshot),
the uploads they made and the e-mail notices addressed to them.
"""

from organizations.privacy import register_anonymiser, register_collector

from .models import Notice, ProposalEvent


@register_collector("usulan_program")
def collect(person):
    user = person.user
    if user is None:
        return {"events": [], "notices": []}
    events = ProposalEvent.objects.filter(actor=user).select_related("proposal").order_by("created_at")
    notices = Notice.objects.filter(user=user).select_related("event__proposal").order_by("due_at")
    return {
        "events": [
            {"proposal": event.proposal.title, "proposal_id": event.proposal_id, "kind": event.kind,
             "from_status": event.from_status, "to_status": event.to_status, "note": event.note,
             "at": event.created_at}
            for event in events
        ],
        "notices": [
            {"proposal": notice.event.proposal.title, "email": notice.email, "status": notice.status,
             "sent_at": notice.sent_at}
            for notice in notices
        ],
    }


@register_anonymiser
def anonymise(person, subject):
    """Their name on the timeline becomes the anonymous label; addresses leave the outbox."""
    if subject.user is not None:
        ProposalEvent.objects.filter(actor=subject.user).update(actor_name=subject.label)
        Notice.objects.filter(user=subject.user, status=Notice.Status.SCHEDULED).update(
            status=Notice.Status.FAILED, last_error="")
        Notice.objects.filter(user=subject.user).update(email="", last_error="")
    for email in subject.emails:
        Notice.objects.filter(email__iexact=email).update(email="", last_error="")

"""Personal data of one person (UU 27/2022 tentang Pelindungan Data Pribadi).

``person_export(person)`` gathers everything the portal holds about a person,
for a data subject's request for access (hak akses). ``person_anonymise(person=,
by=)`` removes what identifies them while keeping the rows that history and
statistics count: memberships, invitations and attendance remain, under
"Anonim #<pk>".

Both are built from registered parts, so another app adds its own section with
one function, e.g. in ``programs/apps.py`` ``ready()``::

    from organizations.privacy import register_anonymiser, register_collector

    @register_collector("usulan_program")
    def proposals(person):
        return [...]            # anything DjangoJSONEncoder can write

    @register_anonymiser
    def scrub_proposals(person, subject):
        ...                     # runs inside the anonymising transaction

Free text written by staff (minutes, follow-ups, meeting descriptions) may
still name a person; it is not rewritten here.
"""

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Membership, Person

logger = logging.getLogger(__name__)

Collector = Callable[[Person], Any]


@dataclass
class Subject:
    """What the anonymisers need: the person, their account and every address they were known by."""

    person: Person
    label: str
    user: Any = None
    emails: set[str] = field(default_factory=set)
    today: Any = None
    by: Any = None


Anonymiser = Callable[[Person, Subject], None]

_collectors: dict[str, Collector] = {}
_anonymisers: list[Anonymiser] = []


def register_collector(section: str):
    """Add a section to every export: ``section`` is its key, the function returns its content."""

    def decorator(function: Collector) -> Collector:
        _collectors[section] = function
        return function

    return decorator


def register_anonymiser(function: Anonymiser) -> Anonymiser:
    """Run ``function(person, subject)`` in the anonymising transaction, before the person's own fields change."""
    if function not in _anonymisers:
        _anonymisers.append(function)
    return function


def anonymous_label(person: Person) -> str:
    return f"Anonim #{person.pk}"


# --- export -----------------------------------------------------------------------------------------


def person_export(person: Person) -> dict:
    """Everything the portal holds about ``person``, section by section (JSON-serialisable with DjangoJSONEncoder)."""
    data = {"portal": "Portal Koordinasi LPM Kota Balikpapan", "exported_at": timezone.now()}
    for section, collect in _collectors.items():
        data[section] = collect(person)
    return data


def person_export_json(person: Person) -> str:
    return json.dumps(person_export(person), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def known_emails(person: Person) -> set[str]:
    """The person's addresses, lower-cased: their own, their account's and the account's allauth addresses."""
    emails = {person.email}
    user = person.user
    if user is not None:
        from allauth.account.models import EmailAddress

        emails.add(user.email)
        emails.update(EmailAddress.objects.filter(user=user).values_list("email", flat=True))
    return {email.strip().lower() for email in emails if email and email.strip()}


def _email_q(field_name: str, emails) -> Q:
    query = Q(pk__in=[])
    for email in emails:
        query |= Q(**{f"{field_name}__iexact": email})
    return query


@register_collector("person")
def _collect_person(person):
    return {
        "id": person.pk,
        "name": person.name,
        "gender": person.get_gender_display(),
        "phone": person.phone,
        "email": person.email,
        "language": person.language,
    }


@register_collector("account")
def _collect_account(person):
    user = person.user
    if user is None:
        return None
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    # Basics only: never the password hash, TOTP secrets or recovery codes.
    return {
        "id": user.pk,
        "username": user.get_username(),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("email")
        ],
        "second_factors": sorted(Authenticator.objects.filter(user=user).values_list("type", flat=True)),
    }


def _membership_row(membership):
    return {
        "board": membership.board.name,
        "board_id": membership.board_id,
        "position": membership.get_position_display(),
        "field_name": membership.field_name,
        "start_date": membership.start_date,
        "end_date": membership.end_date,
        "sk_number": membership.sk_number,
    }


@register_collector("memberships")
def _collect_memberships(person):
    """Every membership with its change history; deleted ones from the history alone."""
    history = {}
    for record in (Membership.history.filter(person_id=person.pk).select_related("board", "history_user")
                   .order_by("history_date", "history_id")):
        history.setdefault(record.id, []).append({
            "date": record.history_date,
            "change": {"+": "dibuat", "~": "diubah", "-": "dihapus"}.get(record.history_type, record.history_type),
            "by": record.history_user.get_username() if record.history_user else None,
            **_membership_row(record),
        })
    rows = []
    for membership in person.memberships.select_related("board").order_by("start_date", "pk"):
        rows.append({"id": membership.pk, **_membership_row(membership), "history": history.pop(membership.pk, [])})
    for membership_id, records in sorted(history.items()):
        rows.append({"id": membership_id, "deleted": True, "history": records})
    return rows


def _invitations_of(person, emails):
    from meetings.models import Invitation

    return Invitation.objects.filter(Q(person=person) | (Q(person__isnull=True) & _email_q("email", emails)))


@register_collector("meeting_invitations")
def _collect_invitations(person):
    emails = known_emails(person)
    rows = []
    for invitation in _invitations_of(person, emails).select_related("meeting").order_by("meeting__start", "pk"):
        rows.append({
            "meeting": invitation.meeting.title,
            "meeting_id": invitation.meeting_id,
            "meeting_start": invitation.meeting.start,
            "meeting_status": invitation.meeting.get_status_display(),
            "name": invitation.name,
            "email": invitation.email,
            "board_name": invitation.board_name,
            "position": invitation.position,
            "kecamatan_name": invitation.kecamatan_name,
            "is_guest": invitation.is_guest,
            "is_walk_in": invitation.is_walk_in,
            "rsvp": invitation.get_rsvp_display(),
            "responded_at": invitation.responded_at,
            "delegate_name": invitation.delegate_name,
            "delegate_email": invitation.delegate_email,
            "attendance": invitation.get_attendance_display() if invitation.attendance else "",
            "invited_at": invitation.created_at,
            "emails": [
                {"kind": r.get_kind_display(), "slot": r.slot, "status": r.get_status_display(),
                 "due_at": r.due_at, "sent_at": r.sent_at, "recipients": r.recipients}
                for r in invitation.reminders.order_by("due_at", "pk")
            ],
        })
    return rows


@register_collector("delegated_to_me")
def _collect_delegations(person):
    """Invitations of others who named this person as their delegate."""
    from meetings.models import Invitation

    emails = known_emails(person)
    if not emails:
        return []
    return [
        {"meeting": i.meeting.title, "meeting_id": i.meeting_id, "meeting_start": i.meeting.start,
         "on_behalf_of": i.name, "delegate_name": i.delegate_name, "delegate_email": i.delegate_email}
        for i in Invitation.objects.filter(_email_q("delegate_email", emails)).exclude(person=person)
        .select_related("meeting").order_by("meeting__start", "pk")
    ]


@register_collector("notifications")
def _collect_notifications(person):
    if person.user is None:
        return []
    from meetings.models import Notification

    return [
        {"text": n.text, "url": n.url, "created_at": n.created_at, "read_at": n.read_at}
        for n in Notification.objects.filter(user=person.user).order_by("created_at", "pk")
    ]


@register_collector("calendar_feed")
def _collect_calendar_feed(person):
    if person.user is None:
        return {"exists": False}
    from meetings.models import CalendarFeed

    # The token itself is a credential: only whether a feed exists, and since when.
    feed = CalendarFeed.objects.filter(user=person.user).first()
    return {"exists": feed is not None, "updated_at": feed.created_at if feed else None}


# --- anonymise --------------------------------------------------------------------------------------


def person_anonymise(*, person: Person, by) -> Person:
    """Remove what identifies ``person``, keeping every row that history counts. Superusers only; irreversible.

    In one transaction: the name becomes "Anonim #<pk>" and phone and e-mail
    are cleared, on the person and on the snapshots of their invitations (and
    where they were named a delegate); their account is deactivated and
    scrubbed (username, e-mail, names, password, staff rights, second factors,
    e-mail addresses, notices, calendar feed); memberships still running end
    today. Memberships, invitations and attendance stay, so meeting and board
    history still counts them.
    """
    if by is None or not getattr(by, "is_superuser", False):
        raise PermissionDenied
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        if person.user_id is not None and person.user_id == by.pk:
            raise ValidationError(_("Anda tidak dapat menganonimkan diri sendiri."))
        subject = Subject(person=person, label=anonymous_label(person), user=person.user,
                          emails=known_emails(person), today=timezone.localdate(), by=by)
        for anonymise in _anonymisers:
            anonymise(person, subject)
        person.name = subject.label
        person.phone = ""
        person.email = ""
        person.save(update_fields=["name", "phone", "email"])
        _scrub_admin_log(Person, person.pk, subject.label)
    logger.info("Person %s anonymised by user %s", person.pk, by.pk)
    return person


@register_anonymiser
def _end_memberships(person, subject):
    """Memberships still running end today; history (HistoricalMembership) records the change and who made it."""
    for membership in person.memberships.filter(end_date__gte=subject.today).select_for_update():
        membership._history_user = subject.by
        if membership.start_date >= subject.today:
            # Not served a single day yet (or starts later): nothing to keep; the history keeps its record.
            membership.delete()
        else:
            membership.end_date = subject.today
            membership.save(update_fields=["end_date"])


@register_anonymiser
def _scrub_invitations(person, subject):
    from meetings.models import Invitation, Reminder

    own = _invitations_of(person, subject.emails)
    # Their e-mails still waiting to go out would reach no one now.
    Reminder.objects.filter(invitation__in=own, status=Reminder.Status.SCHEDULED).update(
        status=Reminder.Status.CANCELLED)
    own.update(name=subject.label, email="")
    if subject.emails:
        Invitation.objects.filter(_email_q("delegate_email", subject.emails)).update(
            delegate_name=subject.label, delegate_email="")
        # Addresses in the outbox's log of recipients and errors.
        mentions = Q(pk__in=[])
        for email in subject.emails:
            mentions |= Q(recipients__icontains=email) | Q(last_error__icontains=email)
        for reminder in Reminder.objects.filter(mentions):
            reminder.recipients = ", ".join(
                address for address in (part.strip() for part in reminder.recipients.split(","))
                if address and not any(email in address.lower() for email in subject.emails)
            )
            for email in subject.emails:
                reminder.last_error = re.sub(re.escape(email), "[dihapus]", reminder.last_error, flags=re.I)
            reminder.save(update_fields=["recipients", "last_error"])


@register_anonymiser
def _scrub_account(person, subject):
    user = subject.user
    if user is None:
        return
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    from meetings.models import CalendarFeed, Notification

    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    Notification.objects.filter(user=user).delete()
    CalendarFeed.objects.filter(user=user).delete()
    user.username = f"anonim-{user.pk}"
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    # An unusable password also ends every session (their hash no longer matches).
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    _scrub_admin_log(get_user_model(), user.pk, user.username)


def _scrub_admin_log(model, pk, label):
    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), object_id=str(pk)).update(
        object_repr=label)

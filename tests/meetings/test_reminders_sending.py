"""The reminder worker's cheap paths do what the plain ones did.

``portal.lib.mail.FOLD_ONCE`` must serialise a message byte for byte as
Python's ``compat32`` does; ``reminders._mark_sent`` must record a sent row as
``_finish`` does, with an asynchronous commit only in a transaction of its own;
the dispatcher, claiming several batches at once, still hands out batches of
``BATCH_SIZE``.
"""

import datetime
import email
from email.policy import compat32

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings import notices, reminders
from meetings.models import Reminder
from portal.lib.mail import FOLD_ONCE, TemplatedMail
from tests.factories import InvitationFactory, MeetingFactory, PersonFactory

# --- header folding ------------------------------------------------------------------------------


@pytest.fixture
def invited_row(db, staff):
    meeting = MeetingFactory(organiser=staff)
    person = PersonFactory(name="Siti Nurhaliza", email="siti@example.org")
    invitation = InvitationFactory(meeting=meeting, person=person, name=person.name, email=person.email)
    return Reminder.objects.create(meeting=meeting, invitation=invitation, kind=Reminder.Kind.REMINDER, slot="2h",
                                   due_at=timezone.now(), status=Reminder.Status.SENDING, last_error="old")


@pytest.mark.parametrize(
    ("subject", "to"),
    [
        ("Pengingat: Rakor LPM", ["warga@example.org"]),
        # Non-ASCII (encoded words), and long enough to be folded over several lines.
        ("Pengingat: Rapat Koordinasi LPM se-Kota Balikpapan – Triwulan IV " * 3,
         ["Siti Nurhaliza <siti@example.org>"]),
        ("Undangan: Musyawarah \u201cPerencanaan\u201d Kelurahan", ["Bapak Ñoño Çelik <nono@example.org>",
                                                                   "ketua@example.org"]),
    ],
)
def test_fold_once_writes_what_compat32_writes(settings, subject, to):
    settings.DEFAULT_FROM_EMAIL = "Portal LPM Balikpapan <noreply@example.org>"
    message = TemplatedMail(subject=subject, body="Yth. Bapak/Ibu,\n\nRapat pukul 10.00–12.00 WITA.\n", to=to,
                            headers={"Message-ID": "<reminder.1.2h@example.org>", "Date": "Sat, 28 Nov 2026"})
    message.attach_alternative("<p>Rapat pukul 10.00–12.00 WITA.</p>", "text/html")
    message.attach("undangan.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar; method=REQUEST")
    # One message object (its boundaries are random) serialised twice, the
    # second time from the cache, then with Python's own policy.
    msg = message.message()
    assert msg.policy is FOLD_ONCE
    first, second = msg.as_bytes(linesep="\r\n"), msg.as_bytes(linesep="\r\n")
    msg.policy = compat32
    assert first == second == msg.as_bytes(linesep="\r\n")
    assert b"=?utf-8?" in first or subject.isascii()


def test_a_reminder_serialises_the_same_with_either_policy(invited_row):
    message = notices.build_message(invited_row, cache={})
    msg = message.message()
    data = msg.as_bytes(linesep="\r\n")
    msg.policy = compat32
    assert data == msg.as_bytes(linesep="\r\n")
    parsed = email.message_from_bytes(data)
    assert parsed["Subject"] == message.subject
    assert [part.get_content_type() for part in parsed.walk() if not part.is_multipart()] == [
        "text/plain", "text/html", "text/calendar"]


# --- marking a row sent ----------------------------------------------------------------------------


def sending_rows(count):
    meeting = MeetingFactory()
    return [
        Reminder.objects.create(meeting=meeting, invitation=InvitationFactory(meeting=meeting),
                                kind=Reminder.Kind.REMINDER, slot="2h", due_at=timezone.now(),
                                status=Reminder.Status.SENDING, last_error="old")
        for _ in range(count)
    ]


def marked(row):
    """What _finish(row, SENT, ...) writes, with sent_at as "just now"."""
    row.refresh_from_db()
    just_now = row.sent_at is not None and abs(timezone.now() - row.sent_at).total_seconds() < 60
    return row.status, just_now, row.recipients, row.message_id, row.last_error


@pytest.fixture
def migrated_rows_restored(django_db_blocker):
    """After the flush that ends a transactional test, the rows migrations made (the staff group) come back.

    Requested before ``transactional_db``, so torn down after its flush. Tests
    that reach the database only through ``request.getfixturevalue()`` run
    after the transactional ones and need them (tests/integration/conftest.py
    does the same).
    """
    yield
    with django_db_blocker.unblock():
        connection.creation.deserialize_db_from_string(connection._test_serialized_contents)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")
def test_the_sent_mark_commits_asynchronously_in_a_transaction_of_its_own(
    migrated_rows_restored, django_db_serialized_rollback, transactional_db
):
    # Outside the test's transaction, as in a worker.
    held, requeued = sending_rows(2)
    Reminder.objects.filter(pk=requeued.pk).update(status=Reminder.Status.SCHEDULED)

    with CaptureQueriesContext(connection) as queries:
        reminders._mark_sent(held, recipients="a@example.org", message_id="<m@x>")
        reminders._mark_sent(requeued, recipients="b@example.org", message_id="<n@x>")

    assert [q["sql"] for q in queries].count("SET LOCAL synchronous_commit TO OFF") == 2
    assert marked(held) == (Reminder.Status.SENT, True, "a@example.org", "<m@x>", "")
    assert marked(requeued) == (Reminder.Status.SCHEDULED, False, "", "", "old")
    # SET LOCAL ended with the mark's own transaction.
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


def test_inside_a_callers_transaction_the_sent_mark_leaves_the_commit_alone(db):
    [held] = sending_rows(1)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        reminders._mark_sent(held, recipients="a@example.org", message_id="<m@x>")
    assert not any("synchronous_commit" in q["sql"] for q in queries)
    assert marked(held) == (Reminder.Status.SENT, True, "a@example.org", "<m@x>", "")


# --- claiming ---------------------------------------------------------------------------------------


def test_the_dispatcher_claims_several_batches_at_once_and_sends_them_in_batches(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    from meetings import tasks

    meeting = MeetingFactory()
    due = timezone.now() - datetime.timedelta(minutes=1)
    Reminder.objects.bulk_create(
        Reminder(meeting=meeting, invitation=invitation, kind=Reminder.Kind.REMINDER, slot="2h", due_at=due)
        for invitation in InvitationFactory.create_batch(2 * reminders.BATCH_SIZE + 7, meeting=meeting)
    )
    claims, batches = [], []
    claim = reminders.reminders_claim
    monkeypatch.setattr(reminders, "reminders_claim", lambda **kwargs: claims.append(kwargs) or claim(**kwargs))
    monkeypatch.setattr(tasks.send_reminder_batch, "delay", lambda ids, claimed_at: batches.append(ids))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_due_reminders() == 2 * reminders.BATCH_SIZE + 7

    assert len(claims) == 2  # all of them, then nothing left
    assert [len(ids) for ids in batches] == [reminders.BATCH_SIZE, reminders.BATCH_SIZE, 7]
    assert sorted(sum(batches, [])) == sorted(Reminder.objects.filter(meeting=meeting).values_list("pk", flat=True))
    assert set(Reminder.objects.filter(meeting=meeting).values_list("status", flat=True)) == {Reminder.Status.SENDING}

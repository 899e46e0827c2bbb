"""Backup and restore as docs/deploy.md describes them: pg_dump (custom format), pg_restore into a fresh database.

The test writes regions, boards, people, memberships (with their history), a
meeting with invitations, attendance and reminders, then dumps the test
database with the ``pg_dump`` binary and restores it with ``pg_restore`` into a
new database, and compares the two: every model's table (``apps.get_models()``,
many-to-many tables included) row by row, every other table's row count, the
sequences (new rows after a restore must not collide) and the constraints
(PostgreSQL's exclusion constraints on memberships included).

PostgreSQL only (skipped otherwise, failed instead in CI like the other
integration tests); needs ``pg_dump`` and ``pg_restore`` on the PATH, no Redis.
"""

import datetime
import os
import shutil
import subprocess
import uuid

import pytest
from django.apps import apps
from django.utils import timezone

from meetings.models import Invitation, Meeting, Reminder
from organizations.models import Board, Membership, Person, Region
from tests import factories

from .conftest import skip_or_fail


@pytest.fixture
def postgres(transactional_db, django_db_serialized_rollback):
    """The test database, committed (pg_dump is another process), or skip (fail in CI)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        skip_or_fail("the backup/restore test needs PostgreSQL (DATABASE_URL=postgres://...)")
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            skip_or_fail(f"the backup/restore test needs {tool} (apt-get install postgresql-client)")
    return connection.settings_dict


def client_env(conf) -> dict:
    env = dict(os.environ)
    if conf["PASSWORD"]:
        env["PGPASSWORD"] = conf["PASSWORD"]
    return env


def client_args(conf) -> list[str]:
    args = []
    if conf["HOST"]:
        args += ["--host", conf["HOST"]]
    if conf["PORT"]:
        args += ["--port", str(conf["PORT"])]
    if conf["USER"]:
        args += ["--username", conf["USER"]]
    return args


def connect(conf, name):
    import psycopg2

    return psycopg2.connect(dbname=name, host=conf["HOST"] or None, port=conf["PORT"] or None,
                            user=conf["USER"] or None, password=conf["PASSWORD"] or None)


@pytest.fixture
def fresh_database(postgres):
    """An empty database next to the test database, dropped at the end whatever happens."""
    name = f"{postgres['NAME']}_restore_{uuid.uuid4().hex[:8]}"[:63]
    admin = connect(postgres, "postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def some_data():
    """A little of everything the portal keeps, with text that needs care (quotes, accents, new lines)."""
    today = timezone.localdate()
    kota = Region.objects.create(code="64.71", name="Balikpapan", level=Region.Level.KOTA)
    kecamatan = Region.objects.create(code="64.71.05", name="Balikpapan Timur", level=Region.Level.KECAMATAN,
                                      parent=kota)
    kelurahan = [
        Region.objects.create(code=f"64.71.05.10{n:02d}", name=f"Kelurahan {n}", level=Region.Level.KELURAHAN,
                              parent=kecamatan)
        for n in range(1, 4)
    ]
    kecamatan.aliases.create(name="Balpap Timur")
    forum = Board.objects.create(kind=Board.Kind.FORUM, region=kecamatan, name="Forum LPM Kecamatan Balikpapan Timur")
    boards = [Board.objects.create(kind=Board.Kind.LPM, region=r, name=f"LPM {r.name}", phone="0542-123",
                                   sk_date=today) for r in kelurahan]
    staff = factories.UserFactory(username="staf@example.org", is_staff=True, staff_office=True)
    people = []
    for number, board in enumerate([*boards, forum]):
        for position in (Membership.Position.KETUA, Membership.Position.SEKRETARIS, Membership.Position.ANGGOTA):
            user = factories.UserFactory() if position == Membership.Position.KETUA else None
            person = factories.PersonFactory(name=f"H. Mu'min Ñoer \"{number}-{position}\"", user=user)
            people.append(person)
            membership = factories.MembershipFactory(person=person, board=board, position=position,
                                                     sk_number=f"SK/{number}/2026")
    membership.sk_number = "SK diubah\nbaris kedua"
    membership.save()  # a second history row

    meeting = factories.MeetingFactory(organiser=staff, title="Rakor — “triwulan” I", description="Baris 1\nBaris 2",
                                       reminder_slots=["h-3", "2h"])
    meeting.agenda_items.create(order=1, title="Pembukaan", presenter="Kepala Dinas", duration_minutes=15)
    for person in people[:8]:
        invitation = factories.InvitationFactory(meeting=meeting, person=person, board_name="LPM", position="Ketua")
        Reminder.objects.create(meeting=meeting, invitation=invitation, kind=Reminder.Kind.REMINDER, slot="h-3",
                                due_at=meeting.start - datetime.timedelta(days=3))
    answered = Invitation.objects.filter(meeting=meeting).values_list("pk", flat=True)[:3]
    Invitation.objects.filter(pk__in=list(answered)).update(rsvp=Invitation.Rsvp.ACCEPTED,
                                                            attendance=Invitation.Attendance.PRESENT)
    factories.InvitationFactory(meeting=meeting, person=None, name="Bapak Camat", email="camat@example.org",
                                is_guest=True)
    held = factories.MeetingFactory(organiser=staff, status=Meeting.Status.HELD,
                                    start=timezone.now() - datetime.timedelta(days=30),
                                    end=timezone.now() - datetime.timedelta(days=30, hours=-2))
    held.follow_ups.create(description="Laporan kegiatan", board=boards[0], due_date=today)


def model_tables():
    """Table and columns of every model, many-to-many tables included, in a stable order."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            tables[model._meta.db_table] = [field.column for field in model._meta.concrete_fields]
    return dict(sorted(tables.items()))


def rows(cursor, table, columns):
    quoted = ", ".join(f'"{column}"' for column in columns)
    cursor.execute(f'SELECT {quoted} FROM "{table}"')
    return sorted(cursor.fetchall(), key=repr)


def all_tables(cursor):
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    return [name for (name,) in cursor.fetchall()]


def count(cursor, table):
    cursor.execute(f'SELECT count(*) FROM "{table}"')
    return cursor.fetchone()[0]


def sequences(cursor):
    cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1")
    return cursor.fetchall()


def constraints(cursor):
    cursor.execute("""SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
                      FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2""")
    return cursor.fetchall()


def test_a_pg_dump_restores_into_a_fresh_database_identically(postgres, fresh_database, tmp_path):
    some_data()
    conf = postgres
    dump = tmp_path / "portal.dump"

    # As docs/deploy.md: pg_dump --format=custom, then pg_restore --no-owner --exit-on-error into an empty database.
    done = subprocess.run(["pg_dump", *client_args(conf), "--format=custom", f"--file={dump}", conf["NAME"]],
                          env=client_env(conf), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert dump.stat().st_size > 0
    done = subprocess.run(["pg_restore", *client_args(conf), f"--dbname={fresh_database}", "--no-owner",
                           "--exit-on-error", str(dump)],
                          env=client_env(conf), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr

    tables = model_tables()
    original, restored = connect(conf, conf["NAME"]), connect(conf, fresh_database)
    try:
        with original.cursor() as before, restored.cursor() as after:
            # The data is really there (a test that compares two empty databases proves nothing).
            for table in ("organizations_region", "organizations_board", "organizations_person",
                          "organizations_membership", "organizations_historicalmembership", "meetings_meeting",
                          "meetings_invitation", "meetings_reminder", "auth_user", "auth_user_groups",
                          "auth_group_permissions", "django_migrations"):
                assert count(before, table) > 0, f"no rows in {table} to compare"

            assert all_tables(after) == all_tables(before)
            assert set(tables) <= set(all_tables(before)), "a model without its table"
            for table, columns in tables.items():
                assert rows(after, table, columns) == rows(before, table, columns), f"{table} differs after restore"
            for table in all_tables(before):
                assert count(after, table) == count(before, table), f"{table}: row count differs after restore"
            assert sequences(after) == sequences(before)
            assert constraints(after) == constraints(before)
            assert any(name == "membership_one_active_ketua" for _, name, _, _ in constraints(after))
    finally:
        original.close()
        restored.close()

    # The restored database works for the portal: a new row takes the next id, no collision.
    restored = connect(conf, fresh_database)
    try:
        with restored.cursor() as cursor:
            cursor.execute("SELECT max(id) FROM organizations_person")
            highest = cursor.fetchone()[0]
            cursor.execute("INSERT INTO organizations_person (name, gender, phone, email, language) "
                           "VALUES ('Baru', 'L', '', '', 'id') RETURNING id")
            assert cursor.fetchone()[0] > highest
        restored.rollback()
    finally:
        restored.close()
    assert Person.objects.count() == 12

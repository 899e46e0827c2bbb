"""Any input to the main forms gives either a saved object or field errors: never a 500, never half a save.

Property-based (hypothesis): each example posts generated values, mostly
hostile (markup, control characters, huge numbers, wrong types, missing
fields) with a share of sensible ones, and checks the outcome is one of the
two allowed. A refused submission must leave every table it could touch
exactly as it was.
"""

import datetime
import string

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from meetings.models import AgendaItem, Invitation, InvitationScope, Meeting, Reminder
from organizations.models import Membership, Person
from organizations.resources import MembershipResource
from tests import factories

PROPERTY = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

HOSTILE = st.sampled_from([
    "", " ", "<script>alert(1)</script>", "\"'><img src=x onerror=alert(1)>", "=HYPERLINK(\"http://x\")",
    "0", "-1", "1e309", "NaN", "9" * 40, "\x00", "\u202e\u0645", "Robert'); DROP TABLE meetings_meeting;--",
    "a" * 5000, "2025-13-45T25:61", "31-02-2026 09.00", "https://", "javascript:alert(1)",
])
TEXT = st.one_of(HOSTILE, st.text(max_size=300), st.text(alphabet=string.printable, max_size=60))


def _future(days, hour):
    moment = timezone.localtime() + datetime.timedelta(days=days)
    return moment.replace(hour=hour % 24, minute=0).strftime("%Y-%m-%dT%H:%M")


DATETIME = st.one_of(TEXT, st.builds(_future, st.integers(-5, 400), st.integers(-3, 30)))


def _counts(*models):
    return {model.__name__: model.objects.count() for model in models}


def _outcome_is_saved_or_field_errors(response):
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code != 302:
        # Refused: the form comes back with at least one message next to a field.
        assert b"errorlist" in response.content or b'aria-invalid="true"' in response.content
    return response.status_code == 302


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


@PROPERTY
@given(
    kind=st.one_of(st.sampled_from([k for k, _ in Meeting.Kind.choices]), TEXT),
    title=TEXT, start=DATETIME, end=DATETIME, venue=TEXT, online_url=TEXT, description=TEXT,
    slots=st.lists(st.one_of(st.sampled_from(["h-3", "h-1", "2h"]), TEXT), max_size=4),
    note=TEXT, agenda_title=TEXT, agenda_minutes=st.one_of(TEXT, st.integers(-10, 5000).map(str)),
)
@example(kind="rakor", title="Rakor <b>LPM</b>", start=_future(9, 9), end=_future(9, 12), venue="Aula", online_url="",
         description="", slots=["h-1"], note="", agenda_title="Pembukaan", agenda_minutes="15")
def test_meeting_form(staff_client, world, kind, title, start, end, venue, online_url, description, slots, note,
                      agenda_title, agenda_minutes):
    before = _counts(Meeting, AgendaItem, Reminder)
    response = staff_client.post(reverse("meetings:create"), {
        "kind": kind, "title": title, "start": start, "end": end, "venue": venue, "online_url": online_url,
        "description": description, "reminder_slots": slots, "reminder_note": note,
        "agenda-TOTAL_FORMS": "1", "agenda-INITIAL_FORMS": "0", "agenda-MIN_NUM_FORMS": "0",
        "agenda-MAX_NUM_FORMS": "1000", "agenda-0-title": agenda_title, "agenda-0-duration_minutes": agenda_minutes,
        "agenda-0-ORDER": "1",
    })
    if not _outcome_is_saved_or_field_errors(response):
        assert _counts(Meeting, AgendaItem, Reminder) == before


@pytest.fixture
def meeting(staff, world):
    return factories.MeetingFactory(organiser=staff)


@PROPERTY
@given(
    reach=st.one_of(st.sampled_from([r for r, _ in InvitationScope.Reach.choices]), TEXT),
    positions=st.one_of(st.sampled_from([p for p, _ in InvitationScope.Positions.choices]), TEXT),
    kecamatan=st.lists(st.one_of(st.integers(-5, 10**12).map(str), TEXT), max_size=3),
    boards=st.lists(st.one_of(st.integers(-5, 10**12).map(str), TEXT), max_size=3),
)
@example(reach="all", positions="ketua", kecamatan=[], boards=[])
def test_invitation_scope_form(staff_client, meeting, reach, positions, kecamatan, boards):
    before = _counts(Invitation, InvitationScope, Reminder)
    response = staff_client.post(reverse("meetings:invite", args=[meeting.pk]), {
        "reach": reach, "positions": positions, "kecamatan": kecamatan, "boards": boards,
    })
    if not _outcome_is_saved_or_field_errors(response):
        assert _counts(Invitation, InvitationScope, Reminder) == before


COLUMNS = "nama,jenis_kelamin,telepon,email,kelurahan,jabatan,bidang,mulai,selesai,no_sk"
CELL = st.one_of(HOSTILE, st.text(alphabet=string.ascii_letters + string.digits + " .-/@", max_size=30),
                 st.sampled_from(["P", "L", "ketua", "anggota", "Kelurahan A1", "99.01.01.1001", "2026-01-01",
                                  "01-01-2026", "siti@example.org"]))


def _csv_cell(value):
    return '"' + value.replace('"', '""') + '"'


@PROPERTY
@given(rows=st.lists(st.lists(CELL, min_size=10, max_size=10), min_size=1, max_size=4))
@example(rows=[["Siti", "P", "0812", "siti@example.org", "99.01.01.1001", "ketua", "", "2026-01-01", "", ""]])
def test_membership_import(world, rows):
    """The admin import: all rows valid and saved, or nothing written and every bad row explained."""
    from import_export.formats.base_formats import CSV

    text = "\n".join([COLUMNS, *(",".join(_csv_cell(cell) for cell in row) for row in rows)]) + "\n"
    before = _counts(Person, Membership)
    result = MembershipResource().import_data(CSV().create_dataset(text), dry_run=False)
    if result.has_errors() or result.has_validation_errors():
        assert _counts(Person, Membership) == before
        assert not result.has_errors(), "an unexpected exception instead of a row error"
        assert all(row.error_dict for row in result.invalid_rows)


# --- proposals ----------------------------------------------------------------------------------------

MONEY = st.one_of(HOSTILE, st.sampled_from(["1.250.000", "Rp 1.250.000", "1250000", "0", "-5000", "1250,50",
                                            "2000000000000", "Rp1.000.000,-"]),
                  st.integers(-10, 10**13).map(str))
MONTH = st.one_of(TEXT, st.sampled_from(["2027-03", "2027-05", "03/2027", "2027-13", "0000-00"]))


@pytest.fixture
def officer_client(officer_a, cycle):
    client = Client()
    client.force_login(officer_a)
    return client


@pytest.fixture
def cycle(db):
    return factories.CycleFactory()


@PROPERTY
@given(
    title=TEXT, background=TEXT, goals=TEXT, location=TEXT, rt_rw=TEXT,
    count=st.one_of(TEXT, st.integers(-5, 10**12).map(str)), groups=st.lists(TEXT, max_size=3),
    start=MONTH, end=MONTH, priority=st.one_of(TEXT, st.integers(-5, 200).map(str)),
    physical=st.sampled_from(["0", "1", "", "2", "<b>"]),
    lines=st.lists(st.tuples(TEXT, st.one_of(TEXT, st.sampled_from(["1", "2,5", "1.000", "-1", "0"])), TEXT, MONEY),
                   min_size=0, max_size=3),
)
@example(title="Bank sampah <script>", background="b", goals="g", location="Jl. Mawar", rt_rw="RT 1", count="40",
         groups=["perempuan"], start="2027-03", end="2027-05", priority="1", physical="0",
         lines=[("Timbangan", "2", "unit", "350.000"), ("Karung", "2,5", "buah", "Rp 45.000")])
def test_proposal_form_with_budget_lines(officer_client, world, cycle, title, background, goals, location, rt_rw,
                                         count, groups, start, end, priority, physical, lines):
    from programs.models import BudgetLine, Proposal, ProposalEvent

    data = {
        "title": title, "category": "1", "is_physical": physical, "background": background, "goals": goals,
        "location_rt_rw": rt_rw, "location": location, "beneficiary_count": count, "beneficiary_groups": groups,
        "start_month": start, "end_month": end, "priority": priority, "cycle": str(cycle.pk),
        "lines-TOTAL_FORMS": str(len(lines)), "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, (item, volume, unit, cost) in enumerate(lines):
        data.update({f"lines-{index}-item": item, f"lines-{index}-volume": volume, f"lines-{index}-unit": unit,
                     f"lines-{index}-unit_cost": cost})
    before = _counts(Proposal, BudgetLine, ProposalEvent)
    response = officer_client.post(reverse("programs:create"), data)
    if _outcome_is_saved_or_field_errors(response):
        proposal = Proposal.objects.latest("pk")
        assert proposal.total_requested == sum(proposal.budget_lines.values_list("subtotal", flat=True))
        assert 0 < proposal.total_requested <= 10**12
    else:
        assert _counts(Proposal, BudgetLine, ProposalEvent) == before


@PROPERTY
@given(day=st.one_of(TEXT, st.sampled_from(["2026-11-28", "28-11-2026", "2026-02-30"])),
       percent=st.one_of(TEXT, st.integers(-5, 500).map(str)), narrative=TEXT, spent=MONEY)
@example(day="2026-11-28", percent="40", narrative="Pelatihan hari pertama", spent="400.000")
def test_progress_report_form(officer_client, world, cycle, day, percent, narrative, spent):
    from programs.models import ProgressReport, Proposal, ProposalEvent

    proposal = Proposal.objects.filter(title="Dilaksanakan").first()
    if proposal is None:
        proposal = factories.ProposalFactory(board=world["board_a"], cycle=cycle, title="Dilaksanakan")
        now = timezone.now()
        Proposal.objects.filter(pk=proposal.pk).update(
            status="in_progress", approved_budget=proposal.total_requested, decided_at=now,
            decision_published_at=now)
    before = _counts(ProgressReport, ProposalEvent)
    state_before = Proposal.objects.values("status", "progress_percent", "spent").get(pk=proposal.pk)
    response = officer_client.post(reverse("programs:progress_add", args=[proposal.pk]), {
        "report_date": day, "percent": percent, "narrative": narrative, "spent": spent})
    if not _outcome_is_saved_or_field_errors(response):
        assert _counts(ProgressReport, ProposalEvent) == before
        assert Proposal.objects.values("status", "progress_percent", "spent").get(pk=proposal.pk) == state_before

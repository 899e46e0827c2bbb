"""The dashboard at national size: each long list stops after its first rows and links to the whole list,
and the boards absent from their last two meetings are found for every board at once, exactly as defined."""

import datetime
import itertools
import random
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings.models import Invitation, Meeting
from meetings.selectors import attendance_rate_by_board
from organizations.models import Board, Membership, Region
from reports import selectors
from tests import factories
from tests.helpers import assert_no_inline_code

from .conftest import HADIR, TIDAK_HADIR

URL = reverse("reports:dashboard")
IZIN = Invitation.Attendance.EXCUSED
CITY = selectors.Scope()


def get(client, user, **params):
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


CODES = itertools.count(2000)


def kelurahan(world, n, *, kecamatan="kec_a", prefix="Kelurahan Z", names=None):
    """``n`` more kelurahan LPMs, none with a Ketua (so each needs attention), after the others in code order."""
    kec = world[kecamatan]
    boards = []
    for i in range(n):
        name = f"{prefix}{names[i] if names else f'{i:03d}'}"
        region = Region.objects.create(code=f"{kec.code}.{next(CODES)}", name=name, level=Region.Level.KELURAHAN,
                                       parent=kec)
        boards.append(Board.objects.create(kind=Board.Kind.LPM, region=region, name=f"LPM {name}"))
    return boards


NOW = timezone.now().replace(second=0, microsecond=0)


def meeting(days_ago, marks=(), *, status=Meeting.Status.HELD):
    """A meeting ``days_ago`` days ago (negative: ahead) with an invitation per (board, mark, walk-in) of ``marks``.

    Meetings the same number of days ago start at the same moment.
    """
    start = NOW - datetime.timedelta(days=days_ago)
    m = factories.MeetingFactory(start=start, end=start + datetime.timedelta(hours=2), status=status)
    for board, mark, *walk_in in marks:
        Invitation.objects.create(meeting=m, board=board, board_name=board.name, name=f"Utusan {board.name}",
                                  attendance=mark, is_walk_in=bool(walk_in and walk_in[0]))
    return m


def reference_absent(boards, now):
    """The definition, one board and one meeting at a time (as the dashboard once computed it)."""
    absent = set()
    for board in boards:
        held = Meeting.objects.filter(start__lt=now).exclude(status=Meeting.Status.CANCELLED).order_by("-start", "-pk")
        theirs = [m for m in held if m.invitations.exclude(attendance="").exists()
                  and m.invitations.filter(board=board, is_walk_in=False).exists()]
        if len(theirs) < 2:
            continue
        present = Invitation.objects.filter(
            board=board, attendance=HADIR, meeting__start__gte=theirs[1].start, meeting__start__lt=now,
        ).exclude(meeting__status=Meeting.Status.CANCELLED)
        if not present.exists():
            absent.add(board.pk)
    return absent


def absent_names(boards, *, now, window, monkeypatch, whole_history):
    monkeypatch.setattr(selectors, "HEALTH_WINDOW_DAYS", window)
    found = selectors.absent_lately([b.pk for b in boards], now=now, whole_history=whole_history)
    return {b.name for b in boards if b.pk in found}


# --- the last two meetings ----------------------------------------------------------------------------------


@pytest.mark.parametrize("whole_history", [False, True])
@pytest.mark.parametrize("window", [0, 20, 45, 1000])
def test_boards_absent_from_their_last_two_meetings(db, monkeypatch, window, whole_history):
    """Every case of the rule, with the window of recent meetings before, across and after them."""
    names = "PQRSTUVWXY"
    b = dict(zip(names, kelurahan({"kec_a": Region.objects.create(code="98", name="Kec", level="kecamatan")},
                                  len(names), prefix="Uji ", names=names)))
    other = kelurahan({"kec_a": Region.objects.get(code="98")}, 1, prefix="Lain ")[0]
    # P: present at its second-last meeting only. Q: present long ago, then absent twice.
    meeting(90, [(b["P"], HADIR), (b["Q"], HADIR)])
    meeting(60, [(b["P"], HADIR), (b["Q"], TIDAK_HADIR), (b["R"], TIDAK_HADIR)])
    meeting(30, [(b["P"], TIDAK_HADIR), (b["Q"], IZIN)])
    # R: invited to one meeting only (the one above). S: absent twice, but one of those meetings was cancelled.
    meeting(25, [(b["S"], TIDAK_HADIR)], status=Meeting.Status.CANCELLED)
    meeting(24, [(b["S"], TIDAK_HADIR)])
    # T: absent twice, then someone of it came without an invitation to a meeting it was not invited to.
    meeting(70, [(b["T"], TIDAK_HADIR)])
    meeting(50, [(b["T"], TIDAK_HADIR)])
    meeting(40, [(other, HADIR), (b["T"], HADIR, True)])
    # U: its own rows never marked, at two meetings whose sheets others filled in: absent.
    meeting(100, [(b["U"], ""), (other, HADIR)])
    meeting(10, [(b["U"], ""), (other, HADIR)])
    # V: absent once; the other meeting's sheet was never filled in, so it proves nothing.
    meeting(80, [(b["V"], TIDAK_HADIR)])
    meeting(5, [(b["V"], "")])
    # W: absent at two meetings that started at the same moment. X: marked present ahead of a future meeting.
    meeting(15, [(b["W"], TIDAK_HADIR)])
    meeting(15, [(b["W"], TIDAK_HADIR)])
    meeting(35, [(b["X"], TIDAK_HADIR)])
    meeting(20, [(b["X"], TIDAK_HADIR)])
    meeting(-2, [(b["X"], HADIR)])
    # Y: present at the second-last, which started at the same moment as an absent last one.
    meeting(12, [(b["Y"], HADIR)])
    meeting(12, [(b["Y"], TIDAK_HADIR)])
    now = timezone.now()
    boards = [*b.values(), other]
    expected = {"LPM Uji Q", "LPM Uji U", "LPM Uji W", "LPM Uji X"}
    assert {x.name for x in boards if x.pk in reference_absent(boards, now)} == expected
    assert absent_names(boards, now=now, window=window, monkeypatch=monkeypatch,
                        whole_history=whole_history) == expected


@pytest.mark.parametrize("seed", range(6))
def test_the_absent_boards_match_the_definition_on_made_up_histories(db, monkeypatch, seed):
    """Random histories (cancelled meetings, unfilled sheets, walk-ins, shared start times, meetings ahead)."""
    rng = random.Random(seed)
    kec = Region.objects.create(code="97", name="Kec", level="kecamatan")
    boards = kelurahan({"kec_a": kec}, 8, prefix="Acak ")
    days = [rng.choice([rng.randint(-20, 200), 7, 7, 33]) for _ in range(18)]
    for days_ago in days:
        status = Meeting.Status.CANCELLED if rng.random() < 0.15 else Meeting.Status.HELD
        filled = rng.random() < 0.8
        marks = []
        for board in rng.sample(boards, rng.randint(1, 5)):
            for _ in range(rng.randint(1, 2)):
                mark = rng.choice([HADIR, HADIR, TIDAK_HADIR, IZIN, ""]) if filled else ""
                marks.append((board, mark, rng.random() < 0.1))
        meeting(days_ago, marks, status=status)
    now = timezone.now()
    expected = {b.name for b in boards if b.pk in reference_absent(boards, now)}
    for window in (0, 10, 40, 1000):
        for whole_history in (False, True):
            assert absent_names(boards, now=now, window=window, monkeypatch=monkeypatch,
                                whole_history=whole_history) == expected, (window, whole_history)


def test_the_dashboard_flags_a_board_whose_last_two_meetings_are_older_than_the_window(client, staff, world,
                                                                                      coordinator_a):
    a, a2, b = world["board_a"], world["board_a2"], world["board_b"]
    meeting(120, [(a, TIDAK_HADIR), (a2, HADIR), (b, HADIR)])
    meeting(100, [(a, TIDAK_HADIR), (a2, TIDAK_HADIR), (b, TIDAK_HADIR)])
    meeting(3, [(b, HADIR)])
    for user in (staff, coordinator_a):
        issues = {board.name: [i.code for i in board.issues] for board in get(client, user).context["health"].flagged}
        # A was absent at both (its last two, long ago); A2 was present at its second-last; B was present lately.
        assert "missed" in issues["LPM Kelurahan A1"]
        assert "missed" not in issues.get("LPM Kelurahan A2", []) and "missed" not in issues.get("LPM Kelurahan B1", [])


# --- the first rows and the whole list ------------------------------------------------------------------------


def test_board_health_counts_every_board_and_lists_the_first(world):
    today = timezone.localdate()
    factories.MembershipFactory(board=world["board_b"], position=Membership.Position.KETUA,
                                end_date=today + datetime.timedelta(days=30))
    health = selectors.board_health(CITY, limit=2)
    assert (health.boards, health.no_ketua, health.term, health.no_login) == (3, 2, 1, 3)
    assert [row.board_id for row in health.rows] == [world[k].pk for k in ("board_a", "board_a2", "board_b")]
    assert [board.name for board in health.flagged] == ["LPM Kelurahan A1", "LPM Kelurahan A2"]
    assert health.total == 3 and health.more
    term = selectors.board_health(CITY, issue="term", limit=2)
    assert [board.name for board in term.flagged] == ["LPM Kelurahan B1"] and not term.more
    assert [i.code for i in term.flagged[0].issues] == ["term_ending", "no_login"]
    assert term.no_ketua == 2  # the counts stay those of every board


def test_the_dashboard_lists_25_boards_needing_attention_and_links_to_all_of_them(client, staff, world):
    kelurahan(world, 52)
    response = get(client, staff)
    health = response.context["health"]
    assert health.total == 55 and health.no_ketua == 55 and len(health.flagged) == selectors.LIST_LIMIT == 25
    body = response.content.decode()
    assert body.count('class="card health-item"') == 25
    assert "25 dari 55 lembaga yang perlu perhatian ditampilkan" in body
    assert f'href="{URL}?semua=kesehatan"' in body
    assert f'href="{URL}?semua=kesehatan&amp;masalah=no_ketua"' in body

    whole = get(client, staff, semua="kesehatan")
    page = whole.content.decode()
    assert whole.context["page_obj"].paginator.count == 55 and len(whole.context["boards"]) == 50
    assert_no_inline_code(page)
    assert "Halaman 1 dari 2" in page and "page=2" in page
    second = get(client, staff, semua="kesehatan", page=2)
    # Region order: A1, A2, then the 52 new kelurahan of kecamatan A, then B1.
    assert [b.name for b in second.context["boards"]] == [
        "LPM Kelurahan Z048", "LPM Kelurahan Z049", "LPM Kelurahan Z050", "LPM Kelurahan Z051", "LPM Kelurahan B1"]


def test_the_whole_list_can_be_narrowed_to_one_issue(client, staff, world):
    today = timezone.localdate()
    factories.MembershipFactory(board=world["board_b"], position=Membership.Position.KETUA,
                                end_date=today + datetime.timedelta(days=30))
    response = get(client, staff, semua="kesehatan", masalah="term")
    assert [b.name for b in response.context["boards"]] == ["LPM Kelurahan B1"]
    assert 'aria-current="true"' in response.content.decode()
    # Anything else lists every board needing attention.
    assert len(get(client, staff, semua="kesehatan", masalah="semua").context["boards"]) == 3


def attendance_world(world):
    """Rates for A1 and B1 over the year; none for A2 or the Forums."""
    a, b = world["board_a"], world["board_b"]
    meeting(20, [(a, HADIR), (b, TIDAK_HADIR)])
    meeting(10, [(a, TIDAK_HADIR), (b, HADIR)])
    meeting(400, [(world["board_a2"], HADIR)])  # too old


def test_attendance_lists_the_first_boards_by_name_and_tells_whether_there_are_more(world, monkeypatch):
    attendance_world(world)
    now = timezone.now()
    every = attendance_rate_by_board(since=now - datetime.timedelta(days=365), until=now)
    rows, more = selectors.attendance_by_board(CITY, now=now, limit=1)
    assert rows == every[:1] and more
    assert selectors.attendance_by_board(CITY, now=now, limit=2) == (every, False)
    # The Forums come first by name and have no rate: with no slack the first boards read have none.
    monkeypatch.setattr(selectors, "ATTENDANCE_SLACK", 0)
    assert selectors.attendance_by_board(CITY, now=now, limit=1) == (every[:1], True)
    assert selectors.attendance_by_board(CITY, now=now, limit=2) == (every, False)


def test_the_whole_attendance_list_pages_through_every_board(client, staff, coordinator_a, world):
    attendance_world(world)
    response = get(client, staff, semua="kehadiran")
    assert [r.board_name for r in response.context["attendance"]] == ["LPM Kelurahan A1", "LPM Kelurahan B1"]
    assert_no_inline_code(response.content.decode())
    response = get(client, coordinator_a, semua="kehadiran")
    assert [r.board_name for r in response.context["attendance"]] == ["LPM Kelurahan A1"]
    assert "LPM Kelurahan B1" not in response.content.decode()


def test_the_dashboard_links_to_every_board_with_an_attendance_rate(client, staff, world):
    boards = kelurahan(world, 26)
    for board in boards:
        meeting(5, [(board, HADIR)])
    response = get(client, staff)
    assert len(response.context["attendance"]) == 25 and response.context["attendance_more"]
    body = response.content.decode()
    assert "25 lembaga pertama menurut nama ditampilkan" in body and f'href="{URL}?semua=kehadiran"' in body
    whole = get(client, staff, semua="kehadiran")
    assert whole.context["page_obj"].paginator.count == 26 and len(whole.context["attendance"]) == 26


def test_women_and_budget_show_the_first_kecamatan_and_count_them_all(world, proposal, cycle):
    a, b = world["board_a"], world["board_b"]
    for board in (a, b):
        factories.MembershipFactory(board=board, position=Membership.Position.KETUA,
                                    person=factories.PersonFactory(gender="P"))
    proposal(a, "submitted", lines=[("Tenda", 1, "unit", 1_000_000)])
    proposal(b, "submitted", lines=[("Tenda", 1, "unit", 3_000_000)])
    kecamatan = list(CITY.kecamatan())
    women = selectors.women_representation(CITY, kecamatan=kecamatan, limit=1)
    assert [row.label for row in women.by_kecamatan] == ["Kecamatan A"] and women.more_kecamatan
    assert (women.total.pengurus, women.total.women) == (2, 2)
    budget = selectors.budget(CITY, cycle=cycle, kecamatan=kecamatan, categories=[], limit=1)
    assert [(row.label, row.requested) for row in budget.by_kecamatan] == [("Kecamatan A", 1_000_000)]
    assert budget.more_kecamatan and budget.kecamatan_count == 2 and budget.total.requested == 4_000_000


def test_the_whole_women_and_budget_lists(client, staff, coordinator_a, world, proposal, cycle):
    proposal(world["board_a"], "submitted", lines=[("Tenda", 1, "unit", 1_000_000)])
    proposal(world["board_b"], "submitted", lines=[("Tenda", 1, "unit", 3_000_000)])
    women = get(client, staff, semua="perempuan")
    assert [row.label for row in women.context["rows"]] == ["Kecamatan A", "Kecamatan B"]
    budget = get(client, staff, semua="anggaran", cycle=cycle.pk)
    assert [(r.label, r.requested) for r in budget.context["budget"].by_kecamatan] == [
        ("Kecamatan A", 1_000_000), ("Kecamatan B", 3_000_000)]
    body = budget.content.decode()
    assert_no_inline_code(body)
    assert cycle.name in body and "Rp4.000.000" in body
    own = get(client, coordinator_a, semua="anggaran")
    assert [r.label for r in own.context["budget"].by_kecamatan] == ["Kecamatan A"]
    assert "Rp3.000.000" not in own.content.decode()
    assert [row.label for row in get(client, coordinator_a, semua="perempuan").context["rows"]] == ["Kecamatan A"]


def test_the_whole_lists_are_for_staff_and_coordinators_only(client, officer_a, staff, world):
    for section in ("kesehatan", "kehadiran", "perempuan", "anggaran"):
        assert client.get(URL, {"semua": section}).status_code == 302
        client.force_login(officer_a)
        assert client.get(URL, {"semua": section}).status_code == 403
        client.logout()
    client.force_login(staff)
    assert client.get(URL, {"semua": "lainnya"}).status_code == 404


@pytest.mark.parametrize("section", ["kesehatan", "kehadiran", "perempuan", "anggaran"])
def test_a_whole_list_costs_the_same_for_few_or_many_boards(client, staff, world, cycle, section):
    client.force_login(staff)
    client.get(URL, {"semua": section})  # the header's per-user facts, cached by a first request
    counts = []
    for size in (2, 30):
        for board in kelurahan(world, size, prefix=f"Ukuran {size} "):
            meeting(5, [(board, HADIR)])
            meeting(60, [(board, TIDAK_HADIR)])
            factories.MembershipFactory(board=board)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, {"semua": section}).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_dashboard_page_stays_small_with_many_boards(client, staff, world):
    boards = kelurahan(world, 40)
    for board in boards:
        meeting(5, [(board, HADIR)])
    body = get(client, staff).content.decode()
    assert len(re.findall(r'class="card health-item"', body)) == 25
    assert body.count('<th scope="row"><a href="/lembaga/') == 25  # attendance rows

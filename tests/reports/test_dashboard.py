"""The staff dashboard: every number against data made for it, the coordinator's scope, and its cost."""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import FollowUp, Invitation
from organizations.models import Board, Membership, Person, Region
from portal.lib.formats import date_long
from programs.models import Category
from tests import factories
from tests.helpers import assert_no_inline_code

from .conftest import HADIR, TIDAK_HADIR

URL = reverse("reports:dashboard")


def get(client, user, **params):
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


def flagged(response):
    """{board name: [issue codes]} of the board-health list."""
    return {board.name: [issue.code for issue in board.issues] for board in response.context["health"].flagged}


def query_of(url):
    parts = urlsplit(url)
    return parts.path, {key: values[0] for key, values in parse_qs(parts.query).items()}


def ketua(board, *, days_left=1000, user=None, gender=Person.Gender.FEMALE):
    today = timezone.localdate()
    person = factories.PersonFactory(user=user, gender=gender)
    return factories.MembershipFactory(
        person=person, board=board, position=Membership.Position.KETUA,
        start_date=today - datetime.timedelta(days=700), end_date=today + datetime.timedelta(days=days_left),
    )


# --- who may open it ----------------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_the_login_page(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_officers_cannot_open_the_staff_dashboard(client, officer_a, member_a):
    for user in (officer_a, member_a):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.get(reverse("reports:recap")).status_code == 403
        assert client.get(reverse("reports:exports")).status_code == 403


def test_staff_and_coordinators_find_it_in_the_navigation(client, staff, coordinator_a, officer_a):
    link = f'href="{URL}"'
    client.force_login(officer_a)
    assert link not in client.get(reverse("home")).content.decode()
    for user in (staff, coordinator_a):
        client.force_login(user)
        assert link in client.get(reverse("home")).content.decode()


def test_the_page_keeps_to_the_strict_csp(client, staff, world, proposal, held_meeting):
    proposal(world["board_a"], "approved")
    held_meeting(3, {world["board_a"]: HADIR})
    body = get(client, staff).content.decode()
    assert_no_inline_code(body)
    # Charts are inline SVG with a text alternative, coloured by classes only.
    assert body.count('<svg class="chart-svg"') == 4
    assert 'role="img"' in body and "<desc id=" in body
    assert "http://" not in body.replace('xmlns="http://www.w3.org/2000/svg"', "")


# --- board health -------------------------------------------------------------------------------------


def test_a_board_with_no_ketua_appears_and_one_with_a_ketua_does_not(client, staff, officer_a, world):
    issues = flagged(get(client, staff))
    assert "no_ketua" in issues["LPM Kelurahan A2"] and "no_ketua" in issues["LPM Kelurahan B1"]
    assert "LPM Kelurahan A1" not in issues
    assert get(client, staff).context["health"].no_ketua == 2


def test_a_term_ending_in_60_days_appears_and_one_ending_in_120_does_not(client, staff, world):
    ketua(world["board_a"], days_left=60, user=factories.UserFactory())
    ketua(world["board_a2"], days_left=120, user=factories.UserFactory())
    ketua(world["board_b"], days_left=1000, user=factories.UserFactory())
    response = get(client, staff)
    issues = flagged(response)
    assert issues == {"LPM Kelurahan A1": ["term_ending"]}
    assert response.context["health"].term == 1
    body = response.content.decode()
    end = timezone.localdate() + datetime.timedelta(days=60)
    assert f"Masa bakti berakhir {date_long(end)}" in body


def test_a_term_already_ended_appears(client, staff, world):
    today = timezone.localdate()
    factories.MembershipFactory(board=world["board_a"], position=Membership.Position.KETUA,
                                start_date=today - datetime.timedelta(days=1900),
                                end_date=today - datetime.timedelta(days=10))
    issues = flagged(get(client, staff))
    assert issues["LPM Kelurahan A1"] == ["no_ketua", "term_ended", "no_login"]


def test_a_board_whose_pengurus_cannot_log_in_appears(client, staff, world):
    ketua(world["board_a"], user=factories.UserFactory())  # can log in
    ketua(world["board_a2"])  # no account
    ketua(world["board_b"], user=factories.UserFactory(is_active=False))  # account switched off
    issues = flagged(get(client, staff))
    assert "LPM Kelurahan A1" not in issues
    assert issues["LPM Kelurahan A2"] == ["no_login"]
    assert issues["LPM Kelurahan B1"] == ["no_login"]


def test_a_board_absent_from_its_last_two_meetings_appears(client, staff, officer_a, officer_b, world, held_meeting):
    a, a2, b = world["board_a"], world["board_a2"], world["board_b"]
    ketua(a2, user=factories.UserFactory())
    held_meeting(60, {a: TIDAK_HADIR, b: HADIR, a2: HADIR})
    held_meeting(30, {a: HADIR, b: TIDAK_HADIR, a2: TIDAK_HADIR})
    held_meeting(10, {a: TIDAK_HADIR, b: TIDAK_HADIR})
    # A meeting whose sheet was never filled in proves nothing.
    meeting = factories.MeetingFactory(start=timezone.now() - datetime.timedelta(days=5))
    factories.InvitationFactory(meeting=meeting, board=b, board_name=b.name)
    factories.InvitationFactory(meeting=meeting, board=a, board_name=a.name)
    response = get(client, staff)
    issues = flagged(response)
    # B missed the meetings 30 and 10 days ago; A was present 30 days ago; A2 at its second-last (60 days ago).
    assert issues == {"LPM Kelurahan B1": ["missed"]}
    assert response.context["health"].missed == 1
    body = response.content.decode()
    assert f'href="{reverse("organizations:board_detail", args=[b.pk])}"' in body


# --- women's representation ---------------------------------------------------------------------------


def test_the_share_of_women_is_computed_per_kecamatan_city_wide_and_among_ketua(client, staff, world):
    a, a2, b = world["board_a"], world["board_a2"], world["board_b"]
    F, M = Person.Gender.FEMALE, Person.Gender.MALE
    ketua(a, gender=F)
    ketua(a2, gender=M)
    ketua(b, gender=M)
    for board, gender in [(a, F), (a, M), (a2, F), (b, M), (b, M), (b, F)]:
        factories.MembershipFactory(board=board, person=factories.PersonFactory(gender=gender))
    # Not counted: an ended term, and the Forum (not a kelurahan LPM).
    factories.MembershipFactory(board=b, person=factories.PersonFactory(gender=F),
                                start_date=datetime.date(2015, 1, 1), end_date=datetime.date(2019, 12, 31))
    factories.MembershipFactory(board=world["forum_b"], person=factories.PersonFactory(gender=F))
    women = get(client, staff).context["women"]
    rows = {row.label: row for row in women.by_kecamatan}
    # Kecamatan A: 5 pengurus (2 Ketua + 3), women: Ketua A, one in A, one in A2 = 3.
    assert (rows["Kecamatan A"].pengurus, rows["Kecamatan A"].women, rows["Kecamatan A"].share) == (5, 3, 60.0)
    assert (rows["Kecamatan A"].ketua, rows["Kecamatan A"].ketua_women) == (2, 1)
    assert rows["Kecamatan A"].ketua_share == 50.0
    assert (rows["Kecamatan B"].pengurus, rows["Kecamatan B"].women, rows["Kecamatan B"].share) == (4, 1, 25.0)
    assert (women.total.pengurus, women.total.women) == (9, 4)
    assert women.total.share == 44.4
    assert (women.total.ketua, women.total.ketua_women, women.total.ketua_share) == (3, 1, 33.3)


# --- meetings -------------------------------------------------------------------------------------------


def invite(meeting, answers, board=None):
    for answer in answers:
        factories.InvitationFactory(meeting=meeting, rsvp=answer, board=board, board_name=board.name if board else "")


def test_upcoming_meetings_show_rsvp_rates_and_warn_when_few_answer_close_to_the_day(client, staff, world):
    P, Y, N, D = (Invitation.Rsvp.PENDING, Invitation.Rsvp.ACCEPTED, Invitation.Rsvp.DECLINED,
                  Invitation.Rsvp.DELEGATED)
    now = timezone.now()
    soon_few = factories.MeetingFactory(title="Rakor lusa", start=now + datetime.timedelta(days=2),
                                        end=now + datetime.timedelta(days=2, hours=2))
    invite(soon_few, [Y, P, P, P])
    soon_half = factories.MeetingFactory(title="Pembinaan lusa", start=now + datetime.timedelta(days=2, hours=3),
                                         end=now + datetime.timedelta(days=2, hours=5))
    invite(soon_half, [N, D, P, P])
    later = factories.MeetingFactory(title="Sosialisasi minggu depan", start=now + datetime.timedelta(days=6),
                                     end=now + datetime.timedelta(days=6, hours=2))
    invite(later, [P, P, P])
    factories.MeetingFactory(title="Rapat dibatalkan", status="cancelled")
    response = get(client, staff)
    rows = {row.meeting.title: row for row in response.context["upcoming"]}
    assert list(rows) == ["Rakor lusa", "Pembinaan lusa", "Sosialisasi minggu depan"]
    few = rows["Rakor lusa"]
    assert (few.invited, few.answered, few.accepted, few.answered_rate, few.accepted_rate) == (4, 1, 1, 25, 25)
    assert few.warning
    half = rows["Pembinaan lusa"]
    assert (half.answered, half.accepted, half.answered_rate) == (2, 1, 50) and not half.warning
    assert not rows["Sosialisasi minggu depan"].warning
    assert [row.meeting.title for row in response.context["rsvp_warnings"]] == ["Rakor lusa"]
    assert "baru 1 dari 4 undangan menjawab" in response.content.decode()


def test_overdue_follow_ups_are_listed_oldest_first(client, staff, world, held_meeting):
    meeting = held_meeting(40, {})
    today = timezone.localdate()
    for board, days, status in [(world["board_a"], 3, "open"), (world["board_b"], 12, "open"),
                                (world["board_a2"], 20, "done"), (world["board_a2"], -5, "open")]:
        FollowUp.objects.create(meeting=meeting, board=board, description=f"Laporan {board.name}",
                                due_date=today - datetime.timedelta(days=days), status=status)
    response = get(client, staff)
    rows = response.context["follow_ups"]
    assert [(row.follow_up.board.name, row.days_overdue) for row in rows] == [
        ("LPM Kelurahan B1", 12), ("LPM Kelurahan A1", 3)]
    assert response.context["follow_ups_total"] == 2


def test_attendance_rate_per_board_covers_the_last_twelve_months(client, staff, world, held_meeting):
    a, b = world["board_a"], world["board_b"]
    held_meeting(400, {a: TIDAK_HADIR})  # too old
    held_meeting(100, {a: HADIR, b: TIDAK_HADIR})
    held_meeting(20, {a: HADIR, b: HADIR})
    held_meeting(10, {a: TIDAK_HADIR})
    response = get(client, staff)
    rates = {r.board_name: (r.meetings, r.invited, r.present, r.rate) for r in response.context["attendance"]}
    assert rates == {"LPM Kelurahan A1": (3, 3, 2, 67), "LPM Kelurahan B1": (2, 2, 1, 50)}
    assert "67%" in response.content.decode()


# --- proposals ------------------------------------------------------------------------------------------


def test_proposals_awaiting_action_by_state_and_age_link_to_the_queue(client, staff, world, proposal):
    now = timezone.now()
    a = world["board_a"]
    for status, days in [("submitted", 2), ("submitted", 10), ("submitted", 40), ("under_review", 20),
                         ("revision_requested", 8), ("approved", 50), ("draft", 60)]:
        proposal(a, status, status_changed_at=now - datetime.timedelta(days=days))
    response = get(client, staff)
    matrix = {row.status: ([cell.count for cell in row.cells], row.total.count) for row in response.context["awaiting"]}
    assert matrix == {
        "submitted": ([1, 1, 0, 1], 3),
        "under_review": ([0, 0, 1, 0], 1),
        "revision_requested": ([0, 1, 0, 0], 1),
    }
    submitted = response.context["awaiting"][0]
    path, query = query_of(submitted.total.url)
    assert path == reverse("programs:queue") and query == {"status": "submitted"}
    body = response.content.decode()
    assert f'<a href="{submitted.total.url}">3</a>' in body


def test_budget_by_kecamatan_and_field_for_the_chosen_cycle(client, staff, world, proposal, cycle):
    a, a2, b = world["board_a"], world["board_a2"], world["board_b"]
    first, second = Category.objects.order_by("pk")[:2]
    proposal(a, "approved", lines=[("Tenda", 2, "unit", 1_000_000)], approved_budget=1_500_000, category=first)
    proposal(a2, "in_progress", lines=[("Bibit", 100, "batang", 20_000)], spent=500_000, category=second,
             is_physical=True)
    proposal(b, "submitted", lines=[("Konsumsi", 40, "kotak", 25_000)], category=first)
    proposal(b, "rejected", lines=[("Kaos", 10, "buah", 50_000)], category=first)
    proposal(b, "draft", lines=[("Spanduk", 1, "buah", 300_000)], category=first)
    proposal(b, "withdrawn", lines=[("Spanduk", 1, "buah", 300_000)], category=first)
    other = factories.CycleFactory(name="Usulan Program 2026", year=2026,
                                   opens_on=cycle.opens_on - datetime.timedelta(days=400),
                                   closes_on=cycle.closes_on - datetime.timedelta(days=400))
    proposal(b, "approved", lines=[("Tenda", 1, "unit", 9_000_000)], cycle_=other)

    budget = get(client, staff, cycle=cycle.pk).context["budget"]
    kec = {row.label: (row.count, row.requested, row.approved, row.realised) for row in budget.by_kecamatan}
    assert kec == {"Kecamatan A": (2, 4_000_000, 3_500_000, 500_000), "Kecamatan B": (2, 1_500_000, 0, 0)}
    cat = {row.label: (row.count, row.requested, row.approved) for row in budget.by_category if row.count}
    assert cat == {first.name: (3, 3_500_000, 1_500_000), second.name: (1, 2_000_000, 2_000_000)}
    kinds = [(row.count, row.requested) for row in budget.by_kind]
    assert kinds == [(1, 2_000_000), (3, 3_500_000)]
    assert (budget.total.count, budget.total.requested, budget.total.approved) == (4, 5_500_000, 3_500_000)
    # Each number opens the queue filtered the same way.
    path, query = query_of(budget.by_kecamatan[0].url)
    assert query == {"status": "all", "cycle": str(cycle.pk), "kecamatan": str(world["kec_a"].pk)}
    assert query_of(budget.by_category[0].url)[1] == {
        "status": "all", "cycle": str(cycle.pk), "category": str(first.pk)}
    assert query_of(budget.by_kind[0].url)[1] == {"status": "all", "cycle": str(cycle.pk), "physical": "1"}
    assert query_of(budget.by_kind[1].url)[1] == {"status": "all", "cycle": str(cycle.pk), "physical": "0"}

    # The other cycle, when chosen; the latest one by default.
    older = get(client, staff, cycle=other.pk).context["budget"]
    assert older.cycle == other and older.total.requested == 9_000_000
    assert get(client, staff).context["budget"].cycle == cycle
    body = get(client, staff).content.decode()
    assert "Rp4.000.000" in body and "Rp3.500.000" in body


def test_programs_in_implementation_show_their_progress(client, staff, world, proposal):
    proposal(world["board_a"], "in_progress", title="Bank sampah", progress_percent=70)
    proposal(world["board_b"], "in_progress", title="Posyandu remaja", progress_percent=15)
    proposal(world["board_b"], "approved", title="Belum mulai")
    response = get(client, staff)
    assert [p.title for p in response.context["in_progress"]] == ["Posyandu remaja", "Bank sampah"]
    assert response.context["in_progress_total"] == 2
    body = response.content.decode()
    assert re.search(r'<progress max="100" value="70"', body) and re.search(r'<progress max="100" value="15"', body)


# --- a coordinator sees their kecamatan --------------------------------------------------------------------


def test_a_coordinator_sees_only_their_kecamatan(client, coordinator_a, staff, world, proposal, held_meeting):
    a, a2, b = world["board_a"], world["board_a2"], world["board_b"]
    proposal(a, "submitted", lines=[("Tenda", 1, "unit", 1_000_000)])
    proposal(b, "submitted", lines=[("Tenda", 1, "unit", 7_000_000)])
    # Decided but not yet published: the Forum still sees "under review", and no approved budget.
    proposal(a2, "approved", lines=[("Bibit", 1, "unit", 2_000_000)], decision_published_at=None)
    held_meeting(20, {a: HADIR, b: HADIR})
    today = timezone.localdate()
    for board in (a, b):
        FollowUp.objects.create(meeting=held_meeting(30, {}), board=board, description=f"Laporan {board.name}",
                                due_date=today - datetime.timedelta(days=3))
    response = get(client, coordinator_a)
    context = response.context
    assert set(flagged(response)) == {"LPM Kelurahan A1", "LPM Kelurahan A2"}
    assert [row.label for row in context["women"].by_kecamatan] == ["Kecamatan A"]
    assert [row.label for row in context["budget"].by_kecamatan] == ["Kecamatan A"]
    assert context["budget"].total.requested == 3_000_000 and context["budget"].total.approved == 0
    awaiting = {row.status: row.total.count for row in context["awaiting"]}
    assert awaiting == {"submitted": 1, "under_review": 1, "revision_requested": 0}
    assert [row.board_name for row in context["attendance"]] == ["LPM Kelurahan A1"]
    assert [row.follow_up.board.name for row in context["follow_ups"]] == ["LPM Kelurahan A1"]
    body = response.content.decode()
    assert "LPM Kelurahan B1" not in body and "Rp7.000.000" not in body
    # The review queue is staff's: a coordinator's numbers are not links to it.
    assert reverse("programs:queue") not in body

    staff_context = get(client, staff).context
    assert {row.status: row.total.count for row in staff_context["awaiting"]}["under_review"] == 0
    assert staff_context["budget"].total.approved == 2_000_000


def test_a_coordinator_sees_rsvp_counts_of_their_kecamatan_invitees_only(client, coordinator_a, world):
    now = timezone.now()
    meeting = factories.MeetingFactory(title="Rakor kota", start=now + datetime.timedelta(days=1),
                                       end=now + datetime.timedelta(days=1, hours=2))
    invite(meeting, [Invitation.Rsvp.ACCEPTED], board=world["board_a"])
    invite(meeting, [Invitation.Rsvp.PENDING, Invitation.Rsvp.PENDING], board=world["board_b"])
    elsewhere = factories.MeetingFactory(title="Rakor kecamatan B", start=now + datetime.timedelta(days=1),
                                         end=now + datetime.timedelta(days=1, hours=2))
    invite(elsewhere, [Invitation.Rsvp.PENDING], board=world["board_b"])
    rows = get(client, coordinator_a).context["upcoming"]
    assert [(r.meeting.title, r.invited, r.answered) for r in rows] == [("Rakor kota", 1, 1)]


# --- cost -----------------------------------------------------------------------------------------------


def grow(world, size, cycle, staff):
    """``size`` more boards in kecamatan A with pengurus, proposals, meetings and follow-ups."""
    kec = world["kec_a"]
    today = timezone.localdate()
    categories = list(Category.objects.all())
    for n in range(size):
        region = Region.objects.create(code=f"99.01.01.2{size:02d}{n:02d}", name=f"Kelurahan G{size}-{n}",
                                       level=Region.Level.KELURAHAN, parent=kec)
        board = Board.objects.create(kind=Board.Kind.LPM, region=region, name=f"LPM G{size}-{n}")
        for position in ("ketua", "sekretaris", "anggota"):
            factories.MembershipFactory(board=board, position=position,
                                        person=factories.PersonFactory(user=factories.UserFactory()))
        for status in ("submitted", "under_review", "approved", "in_progress"):
            p = factories.ProposalFactory(board=board, cycle=cycle, category=categories[n % len(categories)])
            p.status = status
            if status in ("approved", "in_progress"):
                p.approved_budget = p.total_requested
                p.decision_published_at = timezone.now()
            p.save()
        meeting = factories.MeetingFactory(organiser=staff, start=timezone.now() + datetime.timedelta(days=1 + n % 5),
                                           end=timezone.now() + datetime.timedelta(days=1 + n % 5, hours=2))
        past = factories.MeetingFactory(organiser=staff, start=timezone.now() - datetime.timedelta(days=10 + n),
                                        end=timezone.now() - datetime.timedelta(days=10 + n, hours=-2), status="held")
        factories.InvitationFactory(meeting=meeting, board=board, board_name=board.name)
        factories.InvitationFactory(meeting=past, board=board, board_name=board.name, attendance=HADIR)
        FollowUp.objects.create(meeting=past, board=board, description="Laporan",
                                due_date=today - datetime.timedelta(days=2))


@pytest.mark.parametrize("size", [2, 12])
def test_the_dashboard_query_count_does_not_grow_with_boards_meetings_or_proposals(
    client, staff, world, cycle, size, django_assert_num_queries
):
    """Prevents an N+1 on boards (health, women, attendance), meetings (RSVP counts) or proposals (budget, progress)."""
    grow(world, size, cycle, staff)
    client.force_login(staff)
    # session, user, staff group, user's memberships; cycles; kecamatan; in implementation (rows, count);
    # overdue follow-ups (rows, count); upcoming meetings; awaiting; categories; budget by kecamatan, by field
    # and kind; board health (each board's facts, the meetings of the last weeks, their invitations, the
    # older invitations of the boards those leave undecided, the boards listed); women; attendance (the
    # first boards by name, their rates); the unread-notices count in the header
    with django_assert_num_queries(24):
        response = client.get(URL)
    assert len(response.context["health"].flagged) >= 2
    assert response.context["in_progress_total"] == size


@pytest.mark.parametrize("size", [2, 12])
def test_the_coordinator_dashboard_query_count_does_not_grow_either(
    client, coordinator_a, world, cycle, staff, size, django_assert_num_queries
):
    grow(world, size, cycle, staff)
    client.force_login(coordinator_a)
    # as for staff, except that board health reads the whole history of the kecamatan's few boards at once
    with django_assert_num_queries(22):
        response = client.get(URL)
    assert response.context["in_progress_total"] == size


# --- sections shared by readers of the same scope (portal.lib.cache.shared) ---------------------------


def _second_staff():
    return factories.UserFactory(username="staf.dua@example.org", staff_office=True)


def test_a_second_staff_member_reuses_the_sections_and_a_change_recomputes_only_what_read_it(
    client, staff, world, cycle, proposal, django_assert_num_queries
):
    proposal(world["board_a"], "submitted", lines=[("Tenda", 1, "unit", 1_000_000)])
    ketua(world["board_b"], gender=Person.Gender.MALE)
    first = get(client, staff)
    other = _second_staff()
    client.force_login(other)
    client.get(URL)  # the per-user facts of a new session; the page itself is kept per user
    client.cookies["csrftoken"] = "c" * 32  # a fresh key: the page, not its kept copy
    # session, user, the cycles; every section (and the unread count) from the cache
    with django_assert_num_queries(3):
        second = client.get(URL)
    assert second.context["budget"].total.requested == first.context["budget"].total.requested == 1_000_000
    assert second.context["women"].total.pengurus == first.context["women"].total.pengurus > 0

    assert client.get(URL).context is None  # now kept, depending on what the shared sections read

    proposal(world["board_b"], "submitted", lines=[("Kursi", 2, "unit", 500_000)])
    # proposals changed: the kept page is stale; awaiting, budget (with its kecamatan and fields) and
    # in-progress are computed again; meetings, follow-ups, board health and women's share still shared
    with django_assert_num_queries(9):
        third = client.get(URL)
    assert third.context["budget"].total.requested == 2_000_000
    assert {row.status: row.total.count for row in third.context["awaiting"]}["submitted"] == 2


def test_a_coordinator_never_gets_the_city_sections(client, staff, coordinator_a, world, proposal):
    proposal(world["board_b"], "submitted", lines=[("Tenda", 1, "unit", 7_000_000)])
    proposal(world["board_a"], "submitted", lines=[("Tenda", 1, "unit", 1_000_000)])
    assert get(client, staff).context["budget"].total.requested == 8_000_000
    response = get(client, coordinator_a)
    assert response.context["budget"].total.requested == 1_000_000
    assert "LPM Kelurahan B1" not in response.content.decode()


def test_an_explicit_moment_is_computed_not_shared(staff, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from organizations.access import access_for
    from reports import selectors

    scope = selectors.Scope.of(access_for(staff))
    now = timezone.now()
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            selectors.dashboard(scope, now=now)
        counts.append(len(queries))
    assert counts[0] == counts[1] > 10  # the second computation queried as much as the first


def test_a_zero_timeout_shares_nothing(client, staff, world, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    get(client, staff)  # the sections are shared now...
    settings.PAGE_CACHE_SECONDS = 0  # ...and no longer used once the setting is 0
    client.force_login(_second_staff())
    client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        client.get(URL)
    assert len(queries) > 10  # every section counted again

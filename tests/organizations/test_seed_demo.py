import io

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from organizations import demo
from organizations.access import access_for
from organizations.models import Board, Membership, Person, Region

pytestmark = pytest.mark.django_db

MANGGAR, PRAPATAN, BALIKPAPAN_TIMUR = "64.71.01.1001", "64.71.06.1001", "64.71.01"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def seeded():
    call_command("load_regions", stdout=io.StringIO())
    return seed()


def counts():
    User = get_user_model()
    return {
        model.__name__: model.objects.count()
        for model in (Region, Board, Person, Membership, Membership.history.model, User, EmailAddress)
    }


def user(email):
    return get_user_model().objects.get(email=email)


def board(code, kind=Board.Kind.LPM):
    return Board.objects.get(region__code=code, kind=kind)


def test_it_gives_every_board_active_pengurus(seeded):
    active = Membership.objects.active()
    kelurahan = Board.objects.kelurahan()
    assert kelurahan.count() == 34
    for lpm in kelurahan:
        assert active.filter(board=lpm).count() >= 8, lpm
    for other in Board.objects.exclude(kind=Board.Kind.LPM):
        assert active.filter(board=other, position=Membership.Position.KETUA).exists(), other


def test_it_prints_the_demo_logins(seeded):
    for login in demo.DEMO_LOGINS:
        assert login.email in seeded
    assert demo.DEMO_PASSWORD in seeded
    assert "LPM Kelurahan Manggar" in seeded
    assert "LPM Kelurahan Prapatan" in seeded
    assert "Forum LPM Kecamatan Balikpapan Timur" in seeded


def test_it_lets_every_demo_login_sign_in(seeded, client):
    for login in demo.DEMO_LOGINS:
        assert client.login(username=login.email, password=demo.DEMO_PASSWORD), login.email
        client.logout()
        address = EmailAddress.objects.get(email=login.email)
        assert address.verified and address.primary
    response = client.post("/accounts/login/", {"login": f"ketua.manggar@{demo.DEMO_DOMAIN}",
                                                "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302


def test_it_derives_the_roles_of_the_demo_logins(seeded):
    admin = access_for(user(f"admin@{demo.DEMO_DOMAIN}"))
    assert admin.is_admin and admin.sees_everything

    staff = access_for(user(f"staf@{demo.DEMO_DOMAIN}"))
    assert staff.is_staff_office and staff.sees_everything and not staff.is_admin

    manggar, prapatan = board(MANGGAR), board(PRAPATAN)
    assert manggar.kecamatan_id != prapatan.kecamatan_id
    ketua = access_for(user(f"ketua.manggar@{demo.DEMO_DOMAIN}"))
    assert ketua.positions == {manggar.pk: Membership.Position.KETUA}
    assert ketua.can_view_board(manggar) and not ketua.can_view_board(prapatan)
    assert not ketua.sees_everything and not ketua.is_coordinator

    member = access_for(user(f"anggota.prapatan@{demo.DEMO_DOMAIN}"))
    assert member.positions == {prapatan.pk: Membership.Position.ANGGOTA}
    assert access_for(user(f"ketua.prapatan@{demo.DEMO_DOMAIN}")).positions == {
        prapatan.pk: Membership.Position.KETUA
    }
    assert access_for(user(f"anggota.manggar@{demo.DEMO_DOMAIN}")).positions == {
        manggar.pk: Membership.Position.ANGGOTA
    }

    coordinator = access_for(user(f"koordinator.balikpapan-timur@{demo.DEMO_DOMAIN}"))
    assert coordinator.coordinated_kecamatan_ids == {Region.objects.get(code=BALIKPAPAN_TIMUR).pk}
    assert coordinator.can_view_board(manggar) and not coordinator.can_view_board(prapatan)
    assert not coordinator.sees_everything


def test_it_changes_nothing_on_a_second_run(seeded):
    before = counts()
    boards = list(Board.objects.values())
    links = dict(Person.objects.filter(user__isnull=False).values_list("email", "user_id"))

    output = seed()

    assert counts() == before
    assert list(Board.objects.values()) == boards
    assert dict(Person.objects.filter(user__isnull=False).values_list("email", "user_id")) == links
    assert "0 orang baru, 0 keanggotaan baru, 0 akun baru" in output


def test_it_loads_the_regions_itself_when_they_are_missing():
    output = seed()

    assert Region.objects.count() == 41
    assert Board.objects.kelurahan().count() == 34
    assert "dimuat" in output
    assert Person.objects.filter(user__isnull=False).count() == 5


def test_it_generates_only_valid_memberships(seeded):
    memberships = list(Membership.objects.select_related("board", "person"))
    assert len(memberships) > 400
    for membership in memberships:
        membership.full_clean()
        assert membership.start_date < timezone.localdate()


def test_it_generates_the_variety_a_dashboard_needs(seeded):
    today = timezone.localdate()
    active = Membership.objects.active(today)
    kelurahan = Board.objects.kelurahan()
    without_ketua = kelurahan.exclude(pk__in=active.filter(position=Membership.Position.KETUA).values("board_id"))
    assert without_ketua.count() == 2
    assert kelurahan.filter(pk__in=active.ending_within(90, today).values("board_id")).count() == 3
    assert Membership.objects.expired(today).count() >= 5
    assert active.filter(position=Membership.Position.KOORDINATOR).exclude(field_name="").exists()
    assert active.filter(position=Membership.Position.KETUA, person__gender=Person.Gender.FEMALE).exists()

    people = Person.objects.all()
    women = people.filter(gender=Person.Gender.FEMALE).count() / people.count()
    assert 0.3 <= women <= 0.4
    assert not people.exclude(email="").exclude(email__endswith=f"@{demo.DEMO_DOMAIN}").exists()
    assert all(phone.startswith("08") for phone in people.exclude(phone="").values_list("phone", flat=True))
    assert not Board.objects.filter(sk_number="").exists()
    assert not Board.objects.filter(address="").exists()


def test_it_adds_a_synthetic_city_at_scale_2(seeded):
    before = counts()

    seed("--scale", "2")

    city = Region.objects.get(code=f"{demo.SYNTHETIC_PROVINCE}.01")
    boards = Board.objects.filter(region__code__startswith=f"{city.code}.")
    assert Region.objects.count() == before["Region"] + 41
    assert boards.filter(kind=Board.Kind.LPM).count() == 34
    assert boards.filter(kind=Board.Kind.FORUM).count() == 6
    assert Board.objects.filter(region=city, kind=Board.Kind.ASSOCIATION).exists()
    assert 41 * 18 <= Person.objects.count() - before["Person"] <= 41 * 23
    for lpm in boards.filter(kind=Board.Kind.LPM):
        assert Membership.objects.active().filter(board=lpm).count() >= 15
    for membership in Membership.objects.filter(board__region__code__startswith=f"{city.code}.")[:60]:
        membership.full_clean()

    after = counts()
    seed("--scale", "2")
    assert counts() == after


def test_it_creates_demo_meetings_once(db):
    from meetings.models import Invitation, Meeting, Reminder

    call_command("seed_demo", stdout=io.StringIO())
    upcoming = Meeting.objects.get(title__startswith="Rakor LPM Kecamatan Balikpapan Timur")
    past = Meeting.objects.get(title__startswith="Pembinaan Pengurus LPM")
    assert upcoming.status == Meeting.Status.SCHEDULED and upcoming.invitations.exists()
    # The coming Rakor went through the services: its invitees have notices and reminders waiting.
    assert Reminder.objects.filter(meeting=upcoming, kind=Reminder.Kind.INVITATION).count() == (
        upcoming.invitations.count())
    assert past.status == Meeting.Status.HELD and hasattr(past, "minutes")
    assert past.invitations.filter(attendance=Invitation.Attendance.PRESENT).exists()
    counts = (Meeting.objects.count(), Invitation.objects.count(), Reminder.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Meeting.objects.count(), Invitation.objects.count(), Reminder.objects.count()) == counts


def synthetic(queryset, path="board"):
    return queryset.filter(**{f"{path}__region__code__startswith": f"{demo.SYNTHETIC_PROVINCE}."})


def scale_counts():
    from meetings.models import AgendaItem, FollowUp, Invitation, Meeting, Reminder
    from programs.models import BudgetLine, Evaluation, ProgressReport, Proposal, ProposalEvent

    return {
        model.__name__: model.objects.count()
        for model in (Proposal, BudgetLine, ProposalEvent, ProgressReport, Evaluation, Meeting, AgendaItem,
                      Invitation, Reminder, FollowUp)
    }


def test_scale_2_adds_a_cities_worth_of_proposals_meetings_and_reminders(seeded):
    from django.db.models import Count, Sum

    from meetings.demo import SCALE_MEETINGS_PER_CITY
    from meetings.models import Invitation, Meeting, Reminder
    from programs.demo import SCALE_PER_BOARD
    from programs.models import Proposal

    before = scale_counts()

    output = seed("--scale", "2")

    assert "Data skala:" in output and "Selesai dalam" in output
    # One synthetic city: a 99th of --scale 100's 50,000 proposals, 10,000 meetings,
    # 500,000 invitations and over a million reminders.
    proposals = synthetic(Proposal.objects.all())
    low, high = SCALE_PER_BOARD
    assert 34 * 3 * low <= proposals.count() <= 34 * 3 * high
    assert 450 <= proposals.count() <= 560
    meetings = Meeting.objects.count() - before["Meeting"]
    assert meetings == SCALE_MEETINGS_PER_CITY
    invitations = synthetic(Invitation.objects.all())
    assert 4_000 <= invitations.count() <= 6_500
    reminders = Reminder.objects.filter(meeting__in=invitations.values("meeting_id"))
    assert reminders.count() >= 2 * invitations.count()
    assert reminders.count() > 1_000_000 / 99

    # Spread over states, cycles and fields, each state consistent with how it was reached.
    statuses = set(proposals.values_list("status", flat=True))
    assert len(statuses) == len(Proposal.Status)
    assert proposals.values("cycle").distinct().count() == 3
    assert proposals.values("category").distinct().count() >= 5
    totals = proposals.annotate(lines=Sum("budget_lines__subtotal"))
    assert all(p.total_requested == p.lines > 0 for p in totals)
    for proposal in proposals.exclude(approved_budget=None):
        assert 0 < proposal.approved_budget <= proposal.total_requested
    decided_states = ["approved", "rejected", "in_progress", "completed", "evaluated"]
    decided = proposals.filter(status__in=decided_states)
    assert not decided.filter(decision_published_at=None).exists()
    assert not decided.filter(decided_at=None).exists()
    assert not proposals.exclude(status__in=decided_states).exclude(decided_at=None).exists()
    for proposal in proposals.filter(status__in=["in_progress", "completed", "evaluated"]).prefetch_related(
        "progress_reports"
    ):
        last = list(proposal.progress_reports.all())[-1]
        assert 0 < proposal.progress_percent == last.percent and proposal.spent == last.spent
        assert proposal.spent <= proposal.approved_budget
        assert (proposal.progress_percent == 100) == (proposal.status != "in_progress")
    assert not proposals.filter(status="evaluated", evaluation=None).exists()
    for proposal in proposals.prefetch_related("events")[:120]:
        transitions = [e for e in proposal.events.all() if e.kind == "transition"]
        assert transitions[0].to_status == "draft" and transitions[-1].to_status == proposal.status
        assert all(a.created_at <= b.created_at for a, b in zip(transitions, transitions[1:]))
        proposal.full_clean(exclude=["created_by"])  # synthetic pengurus have no portal accounts
    # The open cycle's cap: drafts and withdrawn proposals aside, no board over it.
    for cycle_id, cap in proposals.values_list("cycle_id", "cycle__max_per_board").distinct():
        if cap:
            per_board = (proposals.filter(cycle_id=cycle_id).counting_for_cap().values("board")
                         .annotate(n=Count("pk")).values_list("n", flat=True))
            assert max(per_board) <= cap

    # Meetings: invitations one per person, reminders one per invitation and slot.
    assert not invitations.values("meeting", "person").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert not reminders.exclude(invitation=None).values("invitation", "slot").annotate(n=Count("pk")).filter(
        n__gt=1).exists()
    assert not reminders.filter(invitation=None, follow_up=None).values("meeting", "slot").annotate(
        n=Count("pk")).filter(n__gt=1).exists()
    now = timezone.now()
    assert reminders.filter(status=Reminder.Status.SENT).count() > reminders.count() / 2
    assert not reminders.filter(status=Reminder.Status.SENT, sent_at=None).exists()
    assert reminders.filter(status=Reminder.Status.SCHEDULED, due_at__gt=now).exists()
    assert not reminders.filter(status=Reminder.Status.SCHEDULED, due_at__lte=now).exists()
    held = Meeting.objects.filter(pk__in=invitations.values("meeting_id"), status=Meeting.Status.HELD)
    assert held.exists() and not held.filter(start__gt=now).exists()
    assert not invitations.filter(meeting__in=held, attendance="").exists()
    for invitation in invitations.select_related("meeting")[:200]:
        invitation.full_clean()
    for reminder in reminders[:300]:
        reminder.full_clean()

    # Running it again adds nothing.
    after = scale_counts()
    seed("--scale", "2")
    assert scale_counts() == after

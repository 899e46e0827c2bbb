"""The per-user facts kept in the cache (portal.lib.cache) never outlive what they derive from.

Every logged-in page needs the user's staff group, memberships of today, second factor and unread
count; they come from the cache after the first request, and each change below is seen by the very
next request.
"""

import datetime

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings.models import Notification
from organizations.access import access_for
from organizations.models import Board, Membership
from portal.lib import cache as user_cache
from programs import lifecycle
from programs.models import Proposal, ProposalEvent
from tests import factories

MANAGE = "/rapat/kelola/"  # staff only: 403 for everyone else
LIST = "meetings:notifications"


def board_url(board):
    return reverse("organizations:board_detail", args=[board.pk])


def header(client):
    body = client.get(reverse(LIST)).content.decode()
    start = body.index(f'href="{reverse(LIST)}">Notifikasi (') + len(f'href="{reverse(LIST)}">Notifikasi (')
    return int(body[start:body.index(")", start)])


def sql_of(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


# --- the cache is used -------------------------------------------------------------------------------


def test_the_second_request_reads_the_users_facts_from_the_cache(client, officer_a):
    client.force_login(officer_a)
    first = sql_of(client, reverse(LIST))
    second = sql_of(client, reverse(LIST))

    def about_the_user(queries):
        return [sql for sql in queries if "auth_user_groups" in sql or "organizations_membership" in sql
                or ("meetings_notification" in sql and "read_at" in sql)]

    assert len(about_the_user(first)) == 3  # staff group, memberships, unread count
    assert about_the_user(second) == []
    assert len(second) == len(first) - 3


def test_staff_with_totp_pay_no_mfa_query_after_the_first_request(client, staff, settings):
    settings.REQUIRE_MFA_FOR_STAFF = True
    Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(staff)
    assert any("mfa_authenticator" in sql for sql in sql_of(client, MANAGE))
    assert not any("mfa_authenticator" in sql for sql in sql_of(client, MANAGE))


# --- memberships --------------------------------------------------------------------------------------


def test_a_membership_ended_takes_the_board_away_at_once(client, officer_a, board_a):
    client.force_login(officer_a)
    assert client.get(board_url(board_a)).status_code == 200
    membership = Membership.objects.get(person__user=officer_a)
    membership.end_date = timezone.localdate() - datetime.timedelta(days=1)
    membership.save()
    assert client.get(board_url(board_a)).status_code == 404


def test_a_membership_added_gives_the_board_at_once(client, officer_a, world):
    client.force_login(officer_a)
    assert client.get(board_url(world["board_a2"])).status_code == 404
    factories.MembershipFactory(person=officer_a.person, board=world["board_a2"],
                                position=Membership.Position.ANGGOTA)
    assert client.get(board_url(world["board_a2"])).status_code == 200


def test_a_membership_deleted_takes_the_board_away_at_once(client, officer_a, board_a):
    client.force_login(officer_a)
    assert client.get(board_url(board_a)).status_code == 200
    Membership.objects.filter(person__user=officer_a).delete()
    assert client.get(board_url(board_a)).status_code == 404


def test_a_membership_moved_to_another_person_leaves_its_former_holder(client, officer_a, officer_b, board_a):
    client.force_login(officer_a)
    assert client.get(board_url(board_a)).status_code == 200
    membership = Membership.objects.get(person__user=officer_a)
    membership.person = factories.PersonFactory()
    membership.save()
    assert client.get(board_url(board_a)).status_code == 404


def test_a_term_ending_today_grants_nothing_tomorrow(client, officer_a, board_a, monkeypatch):
    Membership.objects.filter(person__user=officer_a).update(end_date=timezone.localdate())
    client.force_login(officer_a)
    assert client.get(board_url(board_a)).status_code == 200
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    assert client.get(board_url(board_a)).status_code == 404


def test_a_person_linked_to_another_account_moves_the_access_with_it(client, officer_a, board_a):
    newcomer = factories.UserFactory()
    other = client.__class__()
    client.force_login(officer_a)
    other.force_login(newcomer)
    assert client.get(board_url(board_a)).status_code == 200
    assert other.get(board_url(board_a)).status_code == 404
    person = officer_a.person
    person.user = newcomer
    person.save()
    assert client.get(board_url(board_a)).status_code == 404
    assert other.get(board_url(board_a)).status_code == 200


def test_a_forum_moved_to_another_kecamatan_moves_what_its_officers_coordinate(client, coordinator_a, world):
    client.force_login(coordinator_a)
    assert client.get(board_url(world["board_a"])).status_code == 200
    assert client.get(board_url(world["board_b"])).status_code == 404
    forum = world["forum_a"]
    forum.region = world["kec_b"]
    Board.objects.filter(pk=world["forum_b"].pk).delete()  # one Forum per kecamatan
    forum.save()
    assert client.get(board_url(world["board_a"])).status_code == 404
    assert client.get(board_url(world["board_b"])).status_code == 200


# --- staff group and account ------------------------------------------------------------------------------


def test_a_user_added_to_the_staff_group_sees_staff_pages_at_once(client, officer_a):
    client.force_login(officer_a)
    assert client.get(MANAGE).status_code == 403
    officer_a.groups.add(Group.objects.get(name=settings.STAFF_GROUP_NAME))
    assert client.get(MANAGE).status_code == 200
    officer_a.groups.remove(Group.objects.get(name=settings.STAFF_GROUP_NAME))
    assert client.get(MANAGE).status_code == 403


def test_staff_added_and_removed_from_the_groups_side_too(client, officer_a):
    group = Group.objects.get(name=settings.STAFF_GROUP_NAME)
    client.force_login(officer_a)
    assert client.get(MANAGE).status_code == 403
    group.user_set.add(officer_a)
    assert client.get(MANAGE).status_code == 200
    group.user_set.remove(officer_a)
    assert client.get(MANAGE).status_code == 403
    group.user_set.add(officer_a)
    assert client.get(MANAGE).status_code == 200
    group.user_set.clear()
    assert client.get(MANAGE).status_code == 403


def test_the_staff_group_renamed_ends_staff_rights_at_once(client, staff):
    client.force_login(staff)
    assert client.get(MANAGE).status_code == 200
    group = Group.objects.get(name=settings.STAFF_GROUP_NAME)
    group.name = "Bekas staf"
    group.save()
    assert client.get(MANAGE).status_code == 403


def test_superuser_flag_counts_even_when_changed_without_a_signal(client, officer_a):
    client.force_login(officer_a)
    assert client.get(MANAGE).status_code == 403
    type(officer_a).objects.filter(pk=officer_a.pk).update(is_superuser=True, is_staff=True)
    assert client.get(MANAGE).status_code == 200
    type(officer_a).objects.filter(pk=officer_a.pk).update(is_superuser=False, is_staff=False)
    assert client.get(MANAGE).status_code == 403


# --- second factor --------------------------------------------------------------------------------------------


def test_totp_removed_makes_the_mfa_middleware_ask_again(client, staff, settings):
    settings.REQUIRE_MFA_FOR_STAFF = True
    totp = Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(staff)
    assert client.get(MANAGE).status_code == 200
    totp.delete()
    response = client.get(MANAGE)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={"secret": "y"})
    assert client.get(MANAGE).status_code == 200


def test_an_officer_made_staff_must_set_up_totp_at_once(client, officer_a, settings):
    settings.REQUIRE_MFA_FOR_STAFF = True
    client.force_login(officer_a)
    assert client.get(reverse(LIST)).status_code == 200
    officer_a.groups.add(Group.objects.get(name=settings.STAFF_GROUP_NAME))
    response = client.get(reverse(LIST))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


# --- unread count ---------------------------------------------------------------------------------------------


def test_the_unread_count_follows_notices_created_read_and_deleted(client, officer_a, officer_b):
    client.force_login(officer_a)
    assert header(client) == 0
    first = Notification.objects.create(user=officer_a, text="Undangan rapat")
    Notification.objects.create(user=officer_a, text="Pengingat rapat")
    Notification.objects.create(user=officer_b, text="Bukan untuk A")
    assert header(client) == 2
    client.post(reverse("meetings:notification_read", args=[first.pk]))
    assert header(client) == 1
    client.post(reverse("meetings:notifications_read_all"))
    assert header(client) == 0
    unread = Notification.objects.create(user=officer_a, text="Lagi")
    assert header(client) == 1
    unread.delete()
    assert header(client) == 0


def test_proposal_notices_written_in_bulk_reach_the_count_at_once(client, staff, officer_a, board_a):
    proposal = factories.ProposalFactory(board=board_a, created_by=officer_a)
    client.force_login(staff)
    assert header(client) == 0
    lifecycle.comment_add(proposal=proposal, by=officer_a, text="Mohon ditinjau.")  # staff hear of it
    assert header(client) == 1


def test_decisions_published_for_a_cycle_reach_the_boards_count_at_once(client, staff, officer_a, board_a):
    proposal = factories.ProposalFactory(board=board_a, created_by=officer_a)
    Proposal.objects.filter(pk=proposal.pk).update(status=Proposal.Status.APPROVED, decided_at=timezone.now(),
                                                   approved_budget=proposal.total_requested)
    ProposalEvent.objects.create(proposal=proposal, kind=ProposalEvent.Kind.TRANSITION, actor=staff,
                                 from_status=Proposal.Status.UNDER_REVIEW, to_status=Proposal.Status.APPROVED)
    client.force_login(officer_a)
    assert header(client) == 0
    lifecycle.cycle_publish_decisions(cycle=proposal.cycle, by=staff)
    assert header(client) == 1


# --- the cache itself --------------------------------------------------------------------------------------------


def test_a_value_computed_while_a_change_lands_is_not_kept(db):
    """The tokens are read before the database: a bump during the computation makes the result stale."""
    states = iter(["old", "new"])

    def compute():
        value = next(states)
        if value == "old":
            user_cache.bump(user_cache.ACCESS, 7)  # the change commits while we compute
        return value

    assert user_cache.cached_for_user(7, "probe", compute, scope=user_cache.ACCESS) == "old"
    assert user_cache.cached_for_user(7, "probe", compute, scope=user_cache.ACCESS) == "new"
    assert user_cache.cached_for_user(7, "probe", compute, scope=user_cache.ACCESS) == "new"


def test_a_bump_is_repeated_when_the_transaction_commits(db, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    key = "portal:token:access:7"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user_cache.bump(user_cache.ACCESS, 7)
        inside = cache.get(key)
    assert inside is not None and len(callbacks) == 1
    assert cache.get(key) != inside


def test_lost_tokens_never_revive_an_entry(db):
    from django.core.cache import cache

    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert user_cache.cached_for_user(7, "probe", compute, scope=user_cache.UNREAD) == 1
    assert user_cache.cached_for_user(7, "probe", compute, scope=user_cache.UNREAD) == 1
    cache.delete("portal:token:unread:7")  # evicted or expired
    assert user_cache.cached_for_user(7, "probe", compute, scope=user_cache.UNREAD) == 2
    cache.delete("portal:token:unread:*")
    assert user_cache.cached_for_user(7, "probe", compute, scope=user_cache.UNREAD) == 3


def test_an_unreachable_cache_falls_back_to_the_database(client, officer_a, board_a, monkeypatch):
    from django.core.cache.backends.locmem import LocMemCache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(LocMemCache, "get_many", down)
    officer_a.refresh_from_db()
    assert access_for(officer_a).positions == {board_a.pk: Membership.Position.KETUA}
    client.force_login(officer_a)
    assert client.get(board_url(board_a)).status_code == 200


@pytest.mark.parametrize("who", ["officer_a", "coordinator_a", "staff", "admin_user"])
def test_the_cached_access_equals_the_computed_one(db, request, who):
    user = request.getfixturevalue(who)
    fresh = access_for(user)
    again = type(user).objects.get(pk=user.pk)
    assert access_for(again) == fresh  # the second from the cache

import pytest
from django.urls import reverse

from organizations.models import Membership
from tests.factories import BoardFactory, MembershipFactory, PersonFactory, RegionFactory


def board_url(board):
    return reverse("organizations:board_detail", args=[board.pk])


def contacts_of(board):
    return [m.person.phone for m in board.memberships.select_related("person")]


def test_it_sends_anonymous_users_to_login(client, board_a):
    for url in [board_url(board_a), reverse("organizations:board_list"), reverse("organizations:my_board")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_officer_sees_own_board_with_contacts(client, officer_a, member_a, board_a):
    client.force_login(member_a)
    response = client.get(board_url(board_a))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Siti Aminah" in body and "Ketua" in body
    for phone in contacts_of(board_a):
        assert phone in body


def test_officer_of_another_board_gets_404_and_no_contacts(client, officer_a, officer_b, board_a):
    client.force_login(officer_b)
    response = client.get(board_url(board_a))
    assert response.status_code == 404
    assert "Siti Aminah" not in response.content.decode()


def test_directory_shows_an_officer_only_their_board(client, officer_a, officer_b, board_a, board_b):
    client.force_login(officer_b)
    body = client.get(reverse("organizations:board_list")).content.decode()
    assert board_b.name in body
    assert board_a.name not in body


def test_coordinator_sees_boards_of_own_kecamatan_only(client, coordinator_a, officer_a, officer_b, world):
    client.force_login(coordinator_a)
    response = client.get(board_url(world["board_a"]))
    assert response.status_code == 200
    assert "ketua.a@example.org" in response.content.decode()
    assert client.get(board_url(world["board_a2"])).status_code == 200
    assert client.get(board_url(world["board_b"])).status_code == 404
    assert client.get(board_url(world["forum_b"])).status_code == 404
    body = client.get(reverse("organizations:board_list")).content.decode()
    assert "LPM Kelurahan A2" in body and "LPM Kelurahan B1" not in body


def test_staff_see_every_board_and_contacts(client, staff, officer_a, officer_b, world):
    client.force_login(staff)
    for key in ["board_a", "board_b", "forum_a", "forum_b"]:
        assert client.get(board_url(world[key])).status_code == 200
    body = client.get(board_url(world["board_b"])).content.decode()
    assert "ketua.b@example.org" in body
    body = client.get(reverse("organizations:board_list")).content.decode()
    assert "LPM Kelurahan A1" in body and "LPM Kelurahan B1" in body and "Kecamatan B" in body


def test_an_expired_membership_gives_no_access(client, board_a):
    person = PersonFactory(email="lama@example.org")
    from tests.factories import UserFactory

    person.user = UserFactory(username="lama@example.org")
    person.save()
    import datetime

    MembershipFactory(person=person, board=board_a, start_date=datetime.date(2015, 1, 1),
                      end_date=datetime.date(2019, 12, 31))
    client.force_login(person.user)
    assert client.get(board_url(board_a)).status_code == 404


def test_my_board_redirects_an_officer_to_their_board(client, officer_a, board_a):
    client.force_login(officer_a)
    response = client.get(reverse("organizations:my_board"))
    assert response.status_code == 302
    assert response["Location"] == board_url(board_a)


def test_my_board_lists_several_boards(client, officer_a, world):
    person = officer_a.person
    MembershipFactory(person=person, board=world["forum_a"], position=Membership.Position.SEKRETARIS)
    client.force_login(officer_a)
    response = client.get(reverse("organizations:my_board"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "LPM Kelurahan A1" in body and "Forum LPM Kecamatan A" in body


def test_board_page_hides_contacts_from_nobody_allowed_and_escapes_names(client, staff, board_a):
    MembershipFactory(board=board_a, person=PersonFactory(name="<script>alert(1)</script>"))
    client.force_login(staff)
    body = client.get(board_url(board_a)).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def _grow(board, members):
    for _ in range(members):
        MembershipFactory(board=board)


@pytest.mark.parametrize("members", [2, 12])
def test_board_page_query_count_does_not_grow_with_members(client, staff, board_a, members,
                                                           django_assert_num_queries):
    """Prevents an N+1 on people when listing a board's pengurus."""
    _grow(board_a, members)
    client.force_login(staff)
    # session, user, staff group check, memberships of the user, the board with its region, its officers,
    # the board's open follow-ups, the unread-notices count in the header
    with django_assert_num_queries(8):
        response = client.get(board_url(board_a))
    assert response.status_code == 200


@pytest.mark.parametrize("boards", [2, 15])
def test_directory_query_count_does_not_grow_with_boards(client, staff, world, boards, django_assert_num_queries):
    """Prevents an N+1 on regions and pengurus counts in the directory."""
    for _ in range(boards):
        region = RegionFactory(parent=world["kec_a"])
        _grow(BoardFactory(region=region), 3)
    client.force_login(staff)
    # session, user, staff group check, memberships of the user, the boards with their counts,
    # the unread-notices count in the header
    with django_assert_num_queries(6):
        response = client.get(reverse("organizations:board_list"))
    assert response.status_code == 200
    assert response.content.decode().count("<tr>") == len(response.context["groups"][0][1]) + sum(
        len(b) + 1 for _, b in response.context["groups"][1:]
    ) + 1


@pytest.mark.parametrize("boards", [1, 6])
def test_home_query_count_does_not_grow_with_coordinated_boards(client, coordinator_a, world, boards,
                                                                django_assert_num_queries):
    """Prevents an N+1 when a coordinator's home lists the boards of their kecamatan."""
    for _ in range(boards):
        _grow(BoardFactory(region=RegionFactory(parent=world["kec_a"])), 2)
    client.force_login(coordinator_a)
    # session, user, staff group check, memberships of the user, then boards + officers twice
    # (the coordinator's own Forum board, and the boards of the kecamatan), the Forum's own numbers
    # (reports.selectors.board_numbers: boards, pengurus, proposals, follow-ups, attendance), the unread-notices count
    with django_assert_num_queries(14):
        response = client.get(reverse("home"))
    assert response.status_code == 200

from django.urls import reverse


def test_staff_home_shows_the_city_picture(client, staff, officer_a, world):
    client.force_login(staff)
    response = client.get(reverse("home"))
    summary = response.context["summary"]
    assert summary["boards"] == 3
    # Only board A has a Ketua.
    assert summary["boards_without_ketua"] == 2
    assert [b.name for b in response.context["attention"]] == ["LPM Kelurahan A2", "LPM Kelurahan B1"]
    body = response.content.decode()
    assert "Gambaran kota" in body
    assert reverse("organizations:board_list") in body


def test_officer_home_shows_their_board_and_no_city_picture(client, officer_a, officer_b):
    client.force_login(officer_a)
    response = client.get(reverse("home"))
    body = response.content.decode()
    assert "LPM Kelurahan A1" in body and "LPM Kelurahan B1" not in body
    assert "summary" not in response.context or not response.context["summary"]
    assert f'href="{reverse("organizations:board_list")}"' not in body


def test_coordinator_home_lists_boards_of_their_kecamatan(client, coordinator_a, officer_b):
    client.force_login(coordinator_a)
    body = client.get(reverse("home")).content.decode()
    assert "LPM Kelurahan A1" in body and "LPM Kelurahan A2" in body
    assert "LPM Kelurahan B1" not in body


def test_the_ui_is_indonesian_by_default_and_switches_to_english(client, officer_a):
    client.force_login(officer_a)
    body = client.get(reverse("home")).content.decode()
    assert '<html lang="id">' in body and "Beranda" in body
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    body = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in body and "Home" in body
    client.post(reverse("set_language"), {"language": "id", "next": "/"})
    assert "Beranda" in client.get(reverse("home")).content.decode()


def test_staff_home_flags_a_term_ending_within_90_days_but_not_120(client, staff, world):
    import datetime

    from django.utils import timezone

    from organizations.models import Membership
    from tests.factories import MembershipFactory

    today = timezone.localdate()
    for key, days in [("board_a", 60), ("board_a2", 120), ("board_b", 200)]:
        MembershipFactory(board=world[key], position=Membership.Position.KETUA,
                          start_date=today - datetime.timedelta(days=1000),
                          end_date=today + datetime.timedelta(days=days))
    client.force_login(staff)
    response = client.get(reverse("home"))
    assert [b.name for b in response.context["attention"]] == ["LPM Kelurahan A1"]
    assert response.context["summary"]["boards_term_ending"] == 1


def test_an_english_browser_still_gets_indonesian_until_english_is_chosen(client, officer_a):
    client.force_login(officer_a)
    body = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="id">' in body
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="id-ID,id;q=0.9").content.decode()
    assert '<html lang="en">' in body

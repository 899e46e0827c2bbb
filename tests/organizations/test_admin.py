"""The Django admin for boards, people and memberships."""

import datetime
import re

from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from organizations.models import Membership, Person
from portal.lib.dates import add_years
from tests import factories

CHANGELIST = reverse("admin:organizations_membership_changelist")
ADD = reverse("admin:organizations_membership_add")


def change_url(membership):
    return reverse("admin:organizations_membership_change", args=[membership.pk])


def history_url(membership):
    return reverse("admin:organizations_membership_history", args=[membership.pk])


def today():
    return timezone.localdate()


def membership_form(membership=None, **values):
    """The fields of the membership add/change form, as the browser posts them."""
    data = {
        "person": membership and membership.person_id,
        "board": membership and membership.board_id,
        "position": membership and membership.position,
        "field_name": membership.field_name if membership else "",
        "start_date": membership and membership.start_date.isoformat(),
        "end_date": membership and membership.end_date.isoformat(),
        "sk_number": membership.sk_number if membership else "",
        "_save": "Simpan",
    }
    data.update(values)
    return data


def results(response):
    return set(response.context["cl"].result_list)


def test_it_adds_a_membership_through_the_admin_form(client, admin_user, world):
    client.force_login(admin_user)
    person = factories.PersonFactory(name="Andi Wijaya")
    start = today() - datetime.timedelta(days=10)
    end = add_years(start, 5) - datetime.timedelta(days=1)

    response = client.post(ADD, membership_form(
        person=person.pk, board=world["board_a"].pk, position=Membership.Position.SEKRETARIS,
        start_date=start.isoformat(), end_date=end.isoformat(), sk_number="SK-10",
    ))

    assert response.status_code == 302
    membership = Membership.objects.get(person=person)
    assert (membership.board, membership.position, membership.sk_number) == (
        world["board_a"], Membership.Position.SEKRETARIS, "SK-10")


def test_it_refuses_a_rule_violation_in_the_admin_form_in_indonesian(client, admin_user, officer_a, world):
    client.force_login(admin_user)
    person = factories.PersonFactory(name="Andi Wijaya")
    start = today() - datetime.timedelta(days=10)

    response = client.post(ADD, membership_form(
        person=person.pk, board=world["board_a"].pk, position=Membership.Position.KETUA,
        start_date=start.isoformat(), end_date=(start + datetime.timedelta(days=365 * 6)).isoformat(),
    ))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Lembaga ini sudah memiliki Ketua aktif pada periode tersebut (Siti Aminah" in body
    assert "Masa bakti LPM kelurahan paling lama 5 tahun." in body
    assert not Membership.objects.filter(person=person).exists()


def test_it_refuses_two_ketua_rows_in_one_board_inline_submission(client, admin_user, world):
    client.force_login(admin_user)
    board = world["board_a2"]
    first, second = factories.PersonFactory(), factories.PersonFactory()
    start = today() - datetime.timedelta(days=10)
    end = add_years(start, 5) - datetime.timedelta(days=1)
    data = {
        "kind": board.kind, "region": board.region_id, "name": board.name, "address": "", "phone": "",
        "email": "", "sk_number": "", "sk_date": "",
        "memberships-TOTAL_FORMS": "2", "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
        "_save": "Simpan",
    }
    for index, person in enumerate([first, second]):
        data.update({
            f"memberships-{index}-person": person.pk, f"memberships-{index}-position": Membership.Position.KETUA,
            f"memberships-{index}-field_name": "", f"memberships-{index}-start_date": start.isoformat(),
            f"memberships-{index}-end_date": end.isoformat(), f"memberships-{index}-sk_number": "",
        })

    response = client.post(reverse("admin:organizations_board_change", args=[board.pk]), data)

    assert response.status_code == 200
    assert "Dua baris mengangkat Ketua pada periode yang sama." in response.content.decode()
    assert not board.memberships.exists()


def test_it_ends_active_terms_today_with_the_action(client, admin_user, officer_a, member_a, world):
    client.force_login(admin_user)
    expired = factories.MembershipFactory(
        board=world["board_b"], start_date=today() - datetime.timedelta(days=2000),
        end_date=today() - datetime.timedelta(days=30),
    )
    selected = [m.pk for m in Membership.objects.all()]

    response = client.post(CHANGELIST, {"action": "end_term_today", "_selected_action": selected}, follow=True)

    assert response.status_code == 200
    yesterday = today() - datetime.timedelta(days=1)
    assert set(Membership.objects.filter(board=world["board_a"]).values_list("end_date", flat=True)) == {yesterday}
    assert not Membership.objects.active().filter(board=world["board_a"]).exists()
    expired.refresh_from_db()
    assert expired.end_date == today() - datetime.timedelta(days=30)
    assert "2 masa jabatan diakhiri." in response.content.decode()


def test_it_invites_a_person_to_the_portal_with_a_working_set_password_link(client, admin_user, world):
    client.force_login(admin_user)
    person = factories.PersonFactory(name="Andi Wijaya", email="andi@example.org")
    membership = factories.MembershipFactory(person=person, board=world["board_a"])

    response = client.post(CHANGELIST, {"action": "invite_to_portal", "_selected_action": [membership.pk]})

    assert response.status_code == 302
    person.refresh_from_db()
    user = get_user_model().objects.get(email="andi@example.org")
    assert person.user == user
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["andi@example.org"]
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", mail.outbox[0].body).group(0)

    client.logout()
    response = client.get(link)

    assert response.status_code == 302  # allauth hides the key from the address bar
    form_page = client.get(response["Location"])
    assert form_page.status_code == 200
    assert 'name="password1"' in form_page.content.decode()


def test_it_lets_staff_view_but_not_change_memberships(client, staff, officer_a, world):
    membership = Membership.objects.get()
    client.force_login(staff)

    assert client.get(CHANGELIST).status_code == 200
    assert client.get(change_url(membership)).status_code == 200
    response = client.post(change_url(membership), membership_form(membership, sk_number="SK-STAF"))
    assert response.status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, membership_form(membership)).status_code == 403
    membership.refresh_from_db()
    assert membership.sk_number == ""


def test_it_sends_officers_from_the_admin_to_the_login_page(client, officer_a):
    client.force_login(officer_a)

    for url in [CHANGELIST, ADD, reverse("admin:index")]:
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_it_records_who_changed_a_membership_and_shows_it_in_the_history(client, admin_user, staff, officer_a):
    membership = Membership.objects.get()
    client.force_login(admin_user)

    response = client.post(change_url(membership), membership_form(membership, sk_number="SK-BARU/2025"))

    assert response.status_code == 302
    latest = membership.history.first()
    assert latest.sk_number == "SK-BARU/2025"
    assert latest.history_user == admin_user
    assert latest.history_type == "~"
    page = client.get(history_url(membership))
    assert page.status_code == 200
    assert admin_user.username in page.content.decode()
    # Staff may read the history too.
    client.force_login(staff)
    assert admin_user.username in client.get(history_url(membership)).content.decode()


def test_it_filters_memberships_by_status_and_kecamatan(client, admin_user, world):
    client.force_login(admin_user)
    active = factories.MembershipFactory(board=world["board_a"])
    expired = factories.MembershipFactory(
        board=world["board_a2"], start_date=today() - datetime.timedelta(days=2000),
        end_date=today() - datetime.timedelta(days=1),
    )
    ending = factories.MembershipFactory(
        board=world["board_b"], start_date=today() - datetime.timedelta(days=1700),
        end_date=today() + datetime.timedelta(days=30),
    )
    future = factories.MembershipFactory(
        board=world["forum_b"], start_date=today() + datetime.timedelta(days=10),
        end_date=today() + datetime.timedelta(days=1000),
    )

    assert results(client.get(CHANGELIST, {"status": "active"})) == {active, ending}
    assert results(client.get(CHANGELIST, {"status": "expired"})) == {expired}
    assert results(client.get(CHANGELIST, {"status": "ending"})) == {ending}
    assert results(client.get(CHANGELIST, {"status": "future"})) == {future}
    assert results(client.get(CHANGELIST, {"kecamatan": world["kec_a"].pk})) == {active, expired}
    assert results(client.get(CHANGELIST, {"kecamatan": world["kec_b"].pk})) == {ending, future}
    assert results(client.get(CHANGELIST, {"kecamatan": world["kec_b"].pk, "status": "ending"})) == {ending}


def test_it_keeps_the_person_admin_invite_action(client, admin_user):
    client.force_login(admin_user)
    person = factories.PersonFactory(email="rina@example.org")

    response = client.post(
        reverse("admin:organizations_person_changelist"),
        {"action": "invite_to_portal", "_selected_action": [person.pk]},
    )

    assert response.status_code == 302
    assert Person.objects.get(pk=person.pk).user.email == "rina@example.org"
    assert len(mail.outbox) == 1

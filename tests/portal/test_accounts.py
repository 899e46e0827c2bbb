import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD


def login(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_it_logs_in_with_email_and_password(client, officer_a):
    response = login(client, "ketua.a@example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_password_gives_an_indonesian_message(client, officer_a):
    response = login(client, "ketua.a@example.org", "salah-sekali")
    assert response.status_code == 200
    assert "tidak benar" in response.content.decode() or "tidak cocok" in response.content.decode()


def test_there_is_no_public_signup(client, db):
    client.post(reverse("account_signup"), {"email": "baru@example.org", "password1": "x" * 12,
                                            "password2": "x" * 12})
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(email="baru@example.org").exists()
    assert "account_signup" not in client.get(reverse("account_login")).content.decode()


def test_failed_logins_are_rate_limited(client, officer_a, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/5m/key"}
    for _ in range(3):
        assert login(client, "ketua.a@example.org", "salah-sekali").status_code == 200
    # The N+1th attempt is refused even with the right password.
    response = login(client, "ketua.a@example.org")
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_mail(client, officer_a):
    response = client.post(reverse("account_reset_password"), {"email": "ketua.a@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


@pytest.mark.parametrize("persona", ["staff", "admin_user"])
def test_staff_without_totp_must_set_it_up_when_required(client, db, request, settings, persona):
    settings.REQUIRE_MFA_FOR_STAFF = True
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    # The setup page itself stays reachable (allauth asks for the password again first).
    setup = client.get(reverse("mfa_activate_totp"))
    assert setup.status_code == 200 or setup["Location"].startswith("/accounts/")
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert client.get(reverse("home")).status_code == 200


def test_officers_are_not_forced_into_mfa(client, officer_a, settings):
    settings.REQUIRE_MFA_FOR_STAFF = True
    client.force_login(officer_a)
    assert client.get(reverse("home")).status_code == 200


def test_mfa_is_not_forced_when_the_setting_is_off(client, staff, settings):
    settings.REQUIRE_MFA_FOR_STAFF = False
    client.force_login(staff)
    assert client.get(reverse("home")).status_code == 200


def test_admin_login_goes_through_the_portal_login(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_officer_cannot_open_admin(client, officer_a):
    client.force_login(officer_a)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 403

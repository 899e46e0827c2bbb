"""Security in production, observed from the outside.

tests/portal/test_deploy_settings.py already runs ``check --deploy`` and reads
the production defaults; tests/portal/test_accounts.py covers sign-up, a short
rate limit and MFA. This module adds what a request actually gets back under
production settings (HSTS, cookie flags, HTTPS redirect), the rate limits as
configured, and the environment docs/deploy.md tells the city IT team to use.
"""

import json
import re
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

from .test_deploy_settings import ROOT, run_manage

# --- under production settings (DEBUG=0), in a process of its own ---------------------------------

# Migrates an in-memory database, then asks over "HTTP" and "HTTPS" like a browser would.
PROBE = """
import json
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings

call_command("migrate", verbosity=0)
# No collectstatic here: plain static storage instead of the manifest, which would need it.
with override_settings(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    STORAGES={"default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
              "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
):
    get_user_model().objects.create_user("warga@example.org", "warga@example.org", "kata-sandi-uji-12345")
    client = Client(HTTP_HOST="lpm.example.org")
    plain = client.get("/accounts/login/")
    page = client.get("/accounts/login/", secure=True)
    login = client.post("/accounts/login/", {"login": "warga@example.org", "password": "kata-sandi-uji-12345"},
                        secure=True)

    def flags(response, name):
        cookie = response.cookies.get(name)
        if cookie is None:
            return None
        return {"secure": bool(cookie["secure"]), "httponly": bool(cookie["httponly"]), "samesite": cookie["samesite"]}

    print("PROBE " + json.dumps({
        "plain_status": plain.status_code,
        "plain_location": plain.get("Location", ""),
        "hsts": page.get("Strict-Transport-Security", ""),
        "csp": page.get("Content-Security-Policy", ""),
        "login_status": login.status_code,
        "csrf_cookie": flags(page, "csrftoken"),
        "session_cookie": flags(login, "sessionid"),
    }))
"""


@pytest.fixture(scope="module")
def production_probe():
    result = run_manage("shell", "-c", PROBE, extra_env={"DATABASE_URL": "sqlite://:memory:"})
    lines = [line for line in result.stdout.splitlines() if line.startswith("PROBE ")]
    assert lines, result.stdout + result.stderr
    return json.loads(lines[-1][len("PROBE "):])


def test_production_redirects_plain_http_to_https(production_probe):
    assert production_probe["plain_status"] == 301
    assert production_probe["plain_location"] == "https://lpm.example.org/accounts/login/"


def test_production_sends_hsts_for_a_year_with_subdomains_and_preload(production_probe):
    hsts = production_probe["hsts"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts and "preload" in hsts


def test_production_csp_has_no_unsafe_inline(production_probe):
    policy = production_probe["csp"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_production_csrf_cookie_is_secure_httponly_and_samesite(production_probe):
    assert production_probe["csrf_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}


def test_production_session_cookie_is_secure_httponly_and_samesite(production_probe):
    assert production_probe["login_status"] == 302, "the probe's login failed"
    assert production_probe["session_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}


# --- the environment docs/deploy.md gives the city IT team -------------------------------------------

DEPLOY_DOC = ROOT / "docs" / "deploy.md"


def documented_environment() -> dict[str, str]:
    """The variables of the ``portal.env`` block in docs/deploy.md."""
    text = Path(DEPLOY_DOC).read_text(encoding="utf-8")
    block = re.search(r"```ini\n# /etc/portal-lpm/portal.env\n(.*?)```", text, re.S)
    assert block, "docs/deploy.md has no ```ini block for /etc/portal-lpm/portal.env"
    variables = {}
    for line in block.group(1).splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            variables[name.strip()] = value.strip().strip('"')
    return variables


def test_documented_production_environment_passes_check_deploy():
    variables = documented_environment()
    assert variables["DEBUG"] == "0"
    for required in ("SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SITE_URL", "DATABASE_URL",
                     "REDIS_URL", "EMAIL_URL", "MEDIA_ROOT", "BEHIND_PROXY"):
        assert required in variables, f"docs/deploy.md does not set {required}"
    # The documented key is a placeholder to replace; check --deploy would rightly call it weak.
    variables["SECRET_KEY"] = "a-test-only-secret-key-that-is-long-and-random-enough-1234567890-abcdefgh"
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", extra_env=variables)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_every_setting_the_portal_reads_is_documented_in_deploy_md():
    settings_source = (ROOT / "portal" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z_]+)\"", settings_source))
    assert "DATABASE_URL" in read and "SECRET_KEY" in read  # the pattern still finds them
    text = Path(DEPLOY_DOC).read_text(encoding="utf-8")
    missing = sorted(name for name in read if f"`{name}`" not in text)
    assert not missing, f"docs/deploy.md does not describe {missing}"


# --- sign-up, rate limits, MFA, CSP in this process -------------------------------------------------


def test_signup_page_offers_no_form(client, db):
    response = client.get("/accounts/signup/")
    assert response.status_code in (200, 403, 404)
    html = response.content.decode()
    assert 'name="password1"' not in html and 'name="email"' not in html
    assert 'action="/accounts/signup/"' not in html
    if response.status_code == 200:
        assert "ditutup" in html.lower()


def _configured_limits(settings, per):
    """(amount) of each ``login_failed`` rate per ``per`` ("ip" or "key"), as configured."""
    amounts = []
    for rate in settings.ACCOUNT_RATE_LIMITS["login_failed"].split(","):
        parts = rate.strip().split("/")
        if (parts[2] if len(parts) == 3 else "ip") == per:
            amounts.append(int(parts[0]))
    return amounts


def _login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


TOO_MANY = "Terlalu banyak percobaan masuk yang gagal"


def test_configured_limit_per_account_refuses_the_next_wrong_password(client, officer_a, settings):
    (per_account,) = _configured_limits(settings, "key") or pytest.fail("no per-account login limit configured")
    for attempt in range(per_account):
        response = _login(client, "ketua.a@example.org", f"salah-{attempt}")
        assert TOO_MANY not in response.content.decode(), f"refused already at attempt {attempt + 1}"
    refused = _login(client, "ketua.a@example.org", "salah-lagi")
    assert TOO_MANY in refused.content.decode()
    # The right password is refused too while the window lasts.
    _login(client, "ketua.a@example.org", PASSWORD)
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked by it.
    UserFactory(username="lain@example.org", email="lain@example.org")
    assert _login(client, "lain@example.org", PASSWORD).status_code == 302


def test_configured_limit_per_address_refuses_the_next_wrong_password(client, db, settings):
    (per_ip,) = _configured_limits(settings, "ip") or pytest.fail("no per-address login limit configured")
    (per_account,) = _configured_limits(settings, "key")
    # Spread over several accounts so that no single account reaches its own limit.
    for attempt in range(per_ip):
        email = f"tebak{attempt // max(per_account - 1, 1)}@example.org"
        response = _login(client, email, "salah")
        assert TOO_MANY not in response.content.decode(), f"refused already at attempt {attempt + 1}"
    refused = _login(client, "belum-dicoba@example.org", "salah")
    assert TOO_MANY in refused.content.decode()


def test_staff_without_totp_cannot_reach_admin_or_staff_pages(client, staff, settings):
    settings.REQUIRE_MFA_FOR_STAFF = True
    client.force_login(staff)
    for url in ("/admin/", "/rapat/kelola/", "/lembaga/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_activate_totp"), url
    Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert client.get("/rapat/kelola/").status_code == 200


@pytest.mark.parametrize("url", ["/", "/rapat/", "/rapat/kelola/", "/lembaga/", "/tidak-ada/", "/healthz"])
def test_no_page_relaxes_the_policy(client, staff, url):
    client.force_login(staff)
    policy = client.get(url)["Content-Security-Policy"]
    assert "script-src 'self';" in policy + ";" and "style-src 'self';" in policy + ";"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "nonce-" not in policy

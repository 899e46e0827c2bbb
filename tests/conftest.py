"""Shared fixtures: a small two-kecamatan world and the portal's personas.

Personas (after healthchecks' alice/bob/charlie):
- ``officer_a``: Ketua of LPM A (kelurahan A1, kecamatan A)
- ``member_a``: Anggota of LPM A
- ``officer_b``: Ketua of LPM B (kelurahan B1, kecamatan B); must see nothing of A
- ``coordinator_a``: officer of the Forum LPM of kecamatan A
- ``staff``: member of the "Staf DP3AKB" group
- ``admin_user``: superuser
"""

import pytest
from django.conf import settings
from django.test import Client
from django.utils.crypto import get_random_string

from organizations.models import Board, Membership, Region

from . import factories


@pytest.fixture(autouse=True)
def _isolated_cache_and_media(settings, tmp_path):
    # Rate-limit counters and uploads must not leak between tests or workers.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": str(tmp_path)}}
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.REQUIRE_MFA_FOR_STAFF = False
    # The production hasher is slow by design; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _client_with_csrf_cookie(monkeypatch):
    """Every test client carries a CSRF cookie, as a browser does once it has shown the login page.

    Kept pages (``portal.lib.pagecache``) are served only to such requests: with the cookie, every test that
    reads a page after changing data also proves that the change made the kept page stale.
    """
    original = Client.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.cookies[settings.CSRF_COOKIE_NAME] = get_random_string(32)

    monkeypatch.setattr(Client, "__init__", init)


@pytest.fixture
def world(db):
    kota = Region.objects.create(code="99.01", name="Kota Uji", level=Region.Level.KOTA)
    kec_a = Region.objects.create(code="99.01.01", name="Kecamatan A", level=Region.Level.KECAMATAN, parent=kota)
    kec_b = Region.objects.create(code="99.01.02", name="Kecamatan B", level=Region.Level.KECAMATAN, parent=kota)
    kel_a = Region.objects.create(code="99.01.01.1001", name="Kelurahan A1", level=Region.Level.KELURAHAN, parent=kec_a)
    kel_a2 = Region.objects.create(code="99.01.01.1002", name="Kelurahan A2", level=Region.Level.KELURAHAN,
                                   parent=kec_a)
    kel_b = Region.objects.create(code="99.01.02.1001", name="Kelurahan B1", level=Region.Level.KELURAHAN, parent=kec_b)
    return {
        "kota": kota,
        "kec_a": kec_a,
        "kec_b": kec_b,
        "board_a": Board.objects.create(kind=Board.Kind.LPM, region=kel_a, name="LPM Kelurahan A1"),
        "board_a2": Board.objects.create(kind=Board.Kind.LPM, region=kel_a2, name="LPM Kelurahan A2"),
        "board_b": Board.objects.create(kind=Board.Kind.LPM, region=kel_b, name="LPM Kelurahan B1"),
        "forum_a": Board.objects.create(kind=Board.Kind.FORUM, region=kec_a, name="Forum LPM Kecamatan A"),
        "forum_b": Board.objects.create(kind=Board.Kind.FORUM, region=kec_b, name="Forum LPM Kecamatan B"),
    }


def _officer(board, position, email, name):
    user = factories.UserFactory(username=email, email=email)
    person = factories.PersonFactory(name=name, email=email, user=user)
    factories.MembershipFactory(person=person, board=board, position=position)
    return user


@pytest.fixture
def board_a(world):
    return world["board_a"]


@pytest.fixture
def board_b(world):
    return world["board_b"]


@pytest.fixture
def officer_a(world):
    return _officer(world["board_a"], Membership.Position.KETUA, "ketua.a@example.org", "Siti Aminah")


@pytest.fixture
def member_a(world):
    return _officer(world["board_a"], Membership.Position.ANGGOTA, "anggota.a@example.org", "Budi Santoso")


@pytest.fixture
def officer_b(world):
    return _officer(world["board_b"], Membership.Position.KETUA, "ketua.b@example.org", "Rahmat Hidayat")


@pytest.fixture
def coordinator_a(world):
    return _officer(world["forum_a"], Membership.Position.KETUA, "forum.a@example.org", "Hj. Nurhayati")


@pytest.fixture
def staff(db):
    return factories.UserFactory(username="staf@example.org", is_staff=True, staff_office=True)


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(username="admin@example.org", is_staff=True, is_superuser=True)

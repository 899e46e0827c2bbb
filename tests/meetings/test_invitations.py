"""Inviting by scope and as guests, on the real Balikpapan regions: counts, no duplicates, snapshots, clashes."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import selectors, services
from meetings.models import Invitation, InvitationScope, Meeting
from organizations.models import Board, Membership, Region
from organizations.services import read_alias_rows, read_region_rows, regions_load
from tests.factories import InvitationFactory, MeetingFactory, MembershipFactory, PersonFactory

TIMUR = "64.71.01"  # Balikpapan Timur: Manggar, Lamaru, Teritip, Manggar Baru
BARAT = "64.71.02"  # Balikpapan Barat: six kelurahan

EVERY_POSITION = [
    Membership.Position.KETUA,
    Membership.Position.WAKIL_KETUA,
    Membership.Position.SEKRETARIS,
    Membership.Position.BENDAHARA,
    Membership.Position.ANGGOTA,
]


@pytest.fixture
def balikpapan(db):
    """The official regions and boards, with invented pengurus.

    Balikpapan Timur: every board (4 LPM kelurahan + the Forum) has a Ketua, Wakil
    Ketua, Sekretaris, Bendahara and one Anggota. Balikpapan Barat: every board
    (6 LPM + the Forum) has only a Ketua. The city association has nobody.
    """
    regions_load(rows=read_region_rows(), aliases=read_alias_rows())
    timur = Region.objects.get(code=TIMUR)
    barat = Region.objects.get(code=BARAT)
    timur_boards = list(Board.objects.in_kecamatan([timur.pk]).order_by("region__code", "kind"))
    barat_boards = list(Board.objects.in_kecamatan([barat.pk]))
    for board in timur_boards:
        for position in EVERY_POSITION:
            MembershipFactory(board=board, position=position)
    for board in barat_boards:
        MembershipFactory(board=board, position=Membership.Position.KETUA)
    return {
        "timur": timur,
        "barat": barat,
        "timur_boards": timur_boards,
        "barat_boards": barat_boards,
        "manggar": Board.objects.get(region__code="64.71.01.1001"),
        "lamaru": Board.objects.get(region__code="64.71.01.1002"),
        "forum_timur": Board.objects.get(region=timur, kind=Board.Kind.FORUM),
    }


def reached(**scope):
    return len(selectors.scope_memberships(**scope))


# --- scope counts on the Balikpapan data ------------------------------------------------------------


def test_the_data_has_the_boards_we_count_on(balikpapan):
    assert len(balikpapan["timur_boards"]) == 5
    assert {b.kind for b in balikpapan["timur_boards"]} == {Board.Kind.LPM, Board.Kind.FORUM}
    assert len(balikpapan["barat_boards"]) == 7


@pytest.mark.parametrize(("positions", "count"), [("ketua", 5), ("core", 15), ("all", 25)])
def test_scope_of_one_kecamatan_by_position(balikpapan, positions, count):
    assert reached(reach="kecamatan", positions=positions, kecamatan=[balikpapan["timur"]]) == count


@pytest.mark.parametrize(("positions", "count"), [("ketua", 12), ("core", 22), ("all", 32)])
def test_scope_of_all_boards_by_position(balikpapan, positions, count):
    assert reached(reach="all", positions=positions) == count


def test_scope_of_two_kecamatan(balikpapan):
    assert reached(reach="kecamatan", positions="ketua", kecamatan=[balikpapan["timur"], balikpapan["barat"]]) == 12


def test_scope_of_chosen_boards(balikpapan):
    boards = [balikpapan["manggar"], balikpapan["lamaru"]]
    assert reached(reach="boards", positions="core", boards=boards) == 6
    assert reached(reach="boards", positions="all", boards=[balikpapan["forum_timur"]]) == 5


def test_scope_leaves_out_ended_and_future_terms(balikpapan):
    manggar = balikpapan["manggar"]
    today = timezone.localdate()
    MembershipFactory(
        board=manggar,
        position="anggota",
        start_date=today - datetime.timedelta(days=900),
        end_date=today - datetime.timedelta(days=1),
    )
    MembershipFactory(
        board=manggar,
        position="anggota",
        start_date=today + datetime.timedelta(days=1),
        end_date=today + datetime.timedelta(days=900),
    )
    assert reached(reach="boards", positions="all", boards=[manggar]) == 5


def test_a_person_on_an_lpm_and_the_forum_is_reached_once_as_lpm(balikpapan):
    forum_ketua = Membership.objects.get(board=balikpapan["forum_timur"], position="ketua")
    MembershipFactory(person=forum_ketua.person, board=balikpapan["manggar"], position="anggota")
    memberships = selectors.scope_memberships(reach="kecamatan", positions="all", kecamatan=[balikpapan["timur"]])
    assert len(memberships) == 25
    mine = [m for m in memberships if m.person_id == forum_ketua.person_id]
    assert len(mine) == 1 and mine[0].board == balikpapan["manggar"]


# --- inviting by scope: no duplicates, snapshots ------------------------------------------------------


def test_adding_a_scope_again_never_duplicates(balikpapan, meeting):
    timur = [balikpapan["timur"]]
    first = services.invitations_add_scope(meeting=meeting, reach="kecamatan", positions="ketua", kecamatan=timur)
    again = services.invitations_add_scope(meeting=meeting, reach="kecamatan", positions="ketua", kecamatan=timur)
    wider = services.invitations_add_scope(meeting=meeting, reach="kecamatan", positions="core", kecamatan=timur)
    everyone = services.invitations_add_scope(meeting=meeting, reach="all", positions="all")
    assert (first.reached, first.added) == (5, 5)
    assert (again.reached, again.added) == (5, 0)
    assert (wider.reached, wider.added) == (15, 10)
    assert (everyone.reached, everyone.added) == (32, 17)
    assert meeting.invitations.count() == 32
    assert meeting.invitations.values("person").distinct().count() == 32


def test_the_invitation_keeps_a_snapshot(balikpapan, meeting):
    manggar = balikpapan["manggar"]
    services.invitations_add_scope(meeting=meeting, reach="boards", positions="ketua", boards=[manggar])
    invitation = meeting.invitations.get()
    assert (invitation.board_name, invitation.position, invitation.kecamatan_name) == (
        "LPM Kelurahan Manggar",
        "Ketua",
        "Balikpapan Timur",
    )
    name = invitation.name

    # The Ketua steps down, is renamed, the board is renamed: history stays as it was.
    ketua = Membership.objects.get(board=manggar, position="ketua")
    ketua.end_date = timezone.localdate() - datetime.timedelta(days=1)
    ketua.start_date = ketua.end_date - datetime.timedelta(days=400)
    ketua.save()
    MembershipFactory(board=manggar, position="ketua", start_date=timezone.localdate())
    ketua.person.name = "Nama Baru"
    ketua.person.save()
    manggar.name = "LPM Manggar (baru)"
    manggar.save()

    invitation.refresh_from_db()
    assert (invitation.name, invitation.board_name, invitation.position) == (name, "LPM Kelurahan Manggar", "Ketua")


def test_the_snapshot_is_in_indonesian_whatever_language_staff_uses(balikpapan, meeting):
    from django.utils import translation

    with translation.override("en"):
        services.invitations_add_scope(meeting=meeting, reach="boards", positions="all", boards=[balikpapan["manggar"]])
    assert "Sekretaris" in set(meeting.invitations.values_list("position", flat=True))


def test_the_scope_is_kept_for_copies(balikpapan, meeting):
    services.invitations_add_scope(
        meeting=meeting, reach="kecamatan", positions="core", kecamatan=[balikpapan["timur"]]
    )
    scope = meeting.scopes.get()
    assert (scope.reach, scope.positions, list(scope.kecamatan.all())) == ("kecamatan", "core", [balikpapan["timur"]])


# --- the invite pages ------------------------------------------------------------------------------------


def invite_url(meeting, name="invite"):
    return reverse(f"meetings:{name}", args=[meeting.pk])


def timur_ketua(balikpapan):
    return {"reach": "kecamatan", "kecamatan": [balikpapan["timur"].pk], "positions": "ketua"}


@pytest.mark.parametrize("name", ["invite", "invite_preview", "guest_add"])
def test_invite_pages_send_anonymous_to_login(client, meeting, name):
    response = client.get(invite_url(meeting, name))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("name", ["invite", "invite_preview", "guest_add"])
def test_invite_pages_are_forbidden_to_an_invited_officer(client, invitation_a, officer_a, name):
    client.force_login(officer_a)
    assert client.get(invite_url(invitation_a.meeting, name)).status_code == 403
    if name != "invite_preview":
        response = client.post(
            invite_url(invitation_a.meeting, name),
            {"reach": "all", "positions": "all", "name": "Tamu", "email": "t@example.org"},
        )
        assert response.status_code == 403
    assert invitation_a.meeting.invitations.count() == 1


@pytest.mark.parametrize("name", ["invite", "invite_preview", "guest_add"])
def test_invite_pages_do_not_exist_for_an_officer_not_invited(client, invitation_a, officer_b, name):
    client.force_login(officer_b)
    assert client.get(invite_url(invitation_a.meeting, name)).status_code == 404


@pytest.mark.parametrize("name", ["invite", "invite_preview", "guest_add"])
def test_invite_pages_open_for_staff(client, staff, meeting, name):
    client.force_login(staff)
    response = client.get(invite_url(meeting, name))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'for="id_name"' in body and "Hitung" in body
    assert "<script>" not in body and "style=" not in body


def test_staff_schedules_a_rakor_for_all_ketua_of_balikpapan_timur(client, staff, balikpapan):
    client.force_login(staff)
    day = timezone.localdate() + datetime.timedelta(days=10)
    response = client.post(
        reverse("meetings:create"),
        {
            "kind": "rakor",
            "title": "Rakor LPM Balikpapan Timur",
            "venue": "Aula Kantor Camat Balikpapan Timur",
            "start": f"{day:%Y-%m-%d}T09:00",
            "end": f"{day:%Y-%m-%d}T12:00",
            "agenda-TOTAL_FORMS": "0",
            "agenda-INITIAL_FORMS": "0",
        },
    )
    meeting = Meeting.objects.get()
    assert response["Location"] == invite_url(meeting)

    # "Hitung": the count before anything is saved.
    response = client.get(invite_url(meeting, "invite_preview"), timur_ketua(balikpapan))
    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview.reached, preview.new, preview.already) == (5, 5, 0)
    body = response.content.decode()
    assert "Undang 5 orang" in body and "Forum LPM Kecamatan Balikpapan Timur" in body
    assert not meeting.invitations.exists()

    # "Undang": confirmed.
    response = client.post(invite_url(meeting), timur_ketua(balikpapan), follow=True)
    assert response.redirect_chain[-1][0] == invite_url(meeting)
    assert "5 orang ditambahkan ke undangan" in response.content.decode()
    assert meeting.invitations.count() == 5
    assert set(meeting.invitations.values_list("position", flat=True)) == {"Ketua"}

    detail = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert detail.context["counts"].total == 5


def test_the_preview_says_who_is_already_invited(client, staff, balikpapan, meeting):
    services.invitations_add_scope(meeting=meeting, reach="boards", positions="ketua", boards=[balikpapan["manggar"]])
    client.force_login(staff)
    response = client.get(invite_url(meeting, "invite_preview"), timur_ketua(balikpapan))
    preview = response.context["preview"]
    assert (preview.reached, preview.already, preview.new) == (5, 1, 4)


def test_the_preview_names_boards_with_nobody_to_invite(client, staff, balikpapan, meeting):
    client.force_login(staff)
    response = client.get(invite_url(meeting, "invite_preview"), {"reach": "all", "positions": "ketua"})
    without = response.context["preview"].boards_without
    assert "Asosiasi LPM Kota Balikpapan" in [b.name for b in without]
    assert len(without) == Board.objects.count() - 12
    assert not set(without) & set(balikpapan["timur_boards"] + balikpapan["barat_boards"])
    assert "Asosiasi LPM Kota Balikpapan" in response.content.decode()


def test_reinviting_through_the_page_adds_nobody_twice(client, staff, balikpapan, meeting):
    client.force_login(staff)
    client.post(invite_url(meeting), timur_ketua(balikpapan))
    response = client.post(invite_url(meeting), timur_ketua(balikpapan), follow=True)
    assert "0 orang ditambahkan" in response.content.decode()
    assert meeting.invitations.count() == 5
    client.post(invite_url(meeting), {**timur_ketua(balikpapan), "positions": "core"})
    assert meeting.invitations.count() == 15


def test_the_preview_works_as_an_htmx_fragment(client, staff, balikpapan, meeting):
    client.force_login(staff)
    response = client.get(invite_url(meeting, "invite_preview"), timur_ketua(balikpapan), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith("<section") and "<html" not in body
    assert 'id="invite-scope"' in body and "Undang 5 orang" in body


def test_the_invite_page_loads_htmx_from_the_portal_without_inline_code(client, staff, meeting):
    client.force_login(staff)
    body = client.get(invite_url(meeting)).content.decode()
    assert "django_htmx/htmx" in body and "includeIndicatorStyles" in body
    assert "<script>" not in body and "<style" not in body


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"reach": "kecamatan", "positions": "ketua"}, "kecamatan", "Pilih sedikitnya satu kecamatan."),
        ({"reach": "boards", "positions": "ketua"}, "boards", "Pilih sedikitnya satu lembaga."),
        ({"reach": "semua", "positions": "ketua"}, "reach", "Pilih lembaga yang diundang."),
        ({"reach": "all", "positions": ""}, "positions", "Pilih jabatan yang diundang."),
        # A forged id past 64 bits: an error, not a query SQLite cannot bind.
        ({"reach": "kecamatan", "positions": "ketua", "kecamatan": ["99999999999999999999"]}, "kecamatan",
         "99999999999999999999"),
    ],
)
def test_a_bad_scope_is_explained_next_to_the_field(client, staff, balikpapan, meeting, data, field, message):
    client.force_login(staff)
    for response in (client.get(invite_url(meeting, "invite_preview"), data), client.post(invite_url(meeting), data)):
        assert response.status_code == 200
        errors = response.context["scope_form"].errors[field]
        assert any(message.lower() in e.lower() for e in errors), errors
    assert not meeting.invitations.exists() and not meeting.scopes.exists()


def test_a_stray_tick_outside_the_chosen_reach_changes_nothing(client, staff, balikpapan, meeting):
    client.force_login(staff)
    client.post(invite_url(meeting), {**timur_ketua(balikpapan), "boards": [b.pk for b in balikpapan["barat_boards"]]})
    assert meeting.invitations.count() == 5


def test_inviting_warns_about_invitees_with_another_meeting(client, staff, balikpapan, meeting):
    manggar_ketua = Membership.objects.get(board=balikpapan["manggar"], position="ketua")
    other = MeetingFactory(
        title="Musyawarah Kelurahan Manggar",
        venue="Kantor Lurah Manggar",
        start=meeting.start + datetime.timedelta(hours=1),
        end=meeting.end,
    )
    InvitationFactory(meeting=other, person=manggar_ketua.person)
    client.force_login(staff)

    response = client.get(invite_url(meeting, "invite_preview"), timur_ketua(balikpapan))
    assert response.context["preview"].conflicts["people"] == [other]
    body = response.content.decode()
    assert "Musyawarah Kelurahan Manggar" in body and "Tetap simpan undangan" in body
    assert f'name="confirmed_conflicts" value="{other.pk}"' in body

    # Without having seen the warning: shown again, nothing saved.
    response = client.post(invite_url(meeting), timur_ketua(balikpapan))
    assert response.status_code == 200 and "Musyawarah Kelurahan Manggar" in response.content.decode()
    assert not meeting.invitations.exists()

    response = client.post(invite_url(meeting), {**timur_ketua(balikpapan), "confirmed_conflicts": str(other.pk)})
    assert response.status_code == 302
    assert meeting.invitations.count() == 5


@pytest.mark.parametrize("boards", [1, 5])
def test_preview_query_count_does_not_grow_with_boards(client, staff, balikpapan, meeting, boards):
    """Prevents N+1s on boards and people in the "Hitung" step."""
    client.force_login(staff)
    client.get(reverse("meetings:notifications"))  # the first page caches the user's facts and unread count
    chosen = balikpapan["timur_boards"][:boards]
    url = invite_url(meeting, "invite_preview")
    with CaptureQueriesContext(connection) as one:
        client.get(url, {"reach": "boards", "positions": "all", "boards": [chosen[0].pk]})
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"reach": "boards", "positions": "all", "boards": [b.pk for b in chosen]})
    assert response.context["preview"].reached == 5 * boards
    assert len(many.captured_queries) == len(one.captured_queries)


# --- guests --------------------------------------------------------------------------------------------


def test_staff_adds_a_guest(client, staff, meeting):
    client.force_login(staff)
    response = client.post(
        invite_url(meeting, "guest_add"),
        {
            "name": "Drs. H. Abdul Rahman",
            "email": "camat.timur@example.org",
            "position": "Camat",
            "board_name": "Kecamatan Balikpapan Timur",
        },
    )
    assert response.status_code == 302 and response["Location"] == invite_url(meeting)
    guest = meeting.invitations.get()
    assert (guest.is_guest, guest.person, guest.position, guest.board_name) == (
        True,
        None,
        "Camat",
        "Kecamatan Balikpapan Timur",
    )
    assert "Drs. H. Abdul Rahman" in client.get(invite_url(meeting)).content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "  ", "email": "a@example.org"}, "name", "Nama tamu wajib diisi."),
        ({"name": "Lurah", "email": "bukan-email"}, "email", "Alamat e-mail tidak valid"),
        ({"name": "Lurah", "email": "KETUA.A@example.org"}, "email", "sudah ada dalam daftar undangan"),
    ],
)
def test_a_bad_guest_is_explained_next_to_the_field(client, staff, invitation_a, data, field, message):
    meeting = invitation_a.meeting
    client.force_login(staff)
    response = client.post(invite_url(meeting, "guest_add"), data)
    assert response.status_code == 200
    assert any(message in e for e in response.context["guest_form"].errors[field])
    assert message in response.content.decode()
    assert meeting.invitations.count() == 1


def test_the_same_guest_twice_is_one_invitation(client, staff, meeting):
    client.force_login(staff)
    client.post(invite_url(meeting, "guest_add"), {"name": "Lurah Manggar", "email": "lurah@example.org"})
    client.post(invite_url(meeting, "guest_add"), {"name": "Lurah Manggar", "email": "Lurah@Example.org"})
    assert meeting.invitations.filter(is_guest=True).count() == 1


def test_guests_and_people_in_one_meeting(client, staff, balikpapan, meeting):
    client.force_login(staff)
    client.post(invite_url(meeting), timur_ketua(balikpapan))
    client.post(invite_url(meeting, "guest_add"), {"name": "Camat Balikpapan Timur", "email": ""})
    assert meeting.invitations.count() == 6
    assert meeting.invitations.filter(is_guest=True, person__isnull=True).count() == 1
    assert InvitationScope.objects.filter(meeting=meeting).count() == 1
    assert Invitation.objects.filter(meeting=meeting, person=PersonFactory()).count() == 0

"""Each membership rule of Permendagri 18/2018: an accepted and a refused case."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from organizations import services
from organizations.models import Membership
from tests.factories import MembershipFactory, PersonFactory

D = datetime.date


def build(**kwargs):
    defaults = {"position": Membership.Position.ANGGOTA, "start_date": D(2024, 1, 1), "end_date": D(2028, 12, 31)}
    defaults.update(kwargs)
    return Membership(**defaults)


def errors_of(membership):
    with pytest.raises(ValidationError) as excinfo:
        services.membership_save(membership=membership)
    return excinfo.value.message_dict


def test_it_accepts_a_valid_membership(board_a):
    membership = services.membership_save(membership=build(person=PersonFactory(), board=board_a))
    assert membership.pk is not None


def test_it_refuses_end_before_start(board_a):
    errors = errors_of(build(person=PersonFactory(), board=board_a, start_date=D(2024, 1, 1), end_date=D(2023, 1, 1)))
    assert errors["end_date"] == ["Akhir masa bakti harus sesudah tanggal mulai."]
    assert not Membership.objects.exists()


def test_the_database_refuses_end_before_start_too(board_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        build(person=PersonFactory(), board=board_a, start_date=D(2024, 1, 1), end_date=D(2024, 1, 1)).save()


def test_it_allows_one_active_ketua_and_refuses_a_second(board_a):
    MembershipFactory(board=board_a, position=Membership.Position.KETUA, person=PersonFactory(name="Siti"),
                      start_date=D(2024, 1, 1), end_date=D(2028, 12, 31))
    errors = errors_of(build(person=PersonFactory(), board=board_a, position=Membership.Position.KETUA,
                             start_date=D(2026, 1, 1), end_date=D(2030, 12, 31)))
    assert "sudah memiliki Ketua aktif" in errors["position"][0]
    assert "Siti" in errors["position"][0]
    assert Membership.objects.count() == 1


def test_it_accepts_a_successor_ketua_after_the_term_ends(board_a):
    MembershipFactory(board=board_a, position=Membership.Position.KETUA, start_date=D(2019, 1, 1),
                      end_date=D(2023, 12, 31))
    services.membership_save(membership=build(person=PersonFactory(), board=board_a,
                                              position=Membership.Position.KETUA, start_date=D(2024, 1, 1)))
    assert Membership.objects.filter(position=Membership.Position.KETUA).count() == 2


def test_it_refuses_an_overlapping_duplicate_and_accepts_a_later_term(board_a):
    person = PersonFactory()
    MembershipFactory(board=board_a, person=person, start_date=D(2020, 1, 1), end_date=D(2024, 12, 31))
    errors = errors_of(build(person=person, board=board_a, position=Membership.Position.SEKRETARIS,
                             start_date=D(2024, 6, 1), end_date=D(2029, 5, 31)))
    assert "bertumpang tindih" in errors["person"][0]
    services.membership_save(membership=build(person=person, board=board_a, start_date=D(2025, 1, 1),
                                              end_date=D(2029, 12, 31)))
    assert Membership.objects.filter(person=person).count() == 2


def test_it_refuses_a_kelurahan_term_longer_than_five_years(board_a):
    errors = errors_of(build(person=PersonFactory(), board=board_a, start_date=D(2024, 1, 1),
                             end_date=D(2029, 1, 2)))
    assert errors["end_date"] == ["Masa bakti LPM kelurahan paling lama 5 tahun."]
    services.membership_save(membership=build(person=PersonFactory(), board=board_a, start_date=D(2024, 1, 1),
                                              end_date=D(2029, 1, 1)))


def test_a_forum_term_is_not_limited_to_five_years(world):
    services.membership_save(membership=build(person=PersonFactory(), board=world["forum_a"],
                                              start_date=D(2020, 1, 1), end_date=D(2026, 6, 30)))


def test_it_refuses_a_third_term_on_the_same_kelurahan_board(board_a):
    person = PersonFactory()
    MembershipFactory(board=board_a, person=person, start_date=D(2014, 1, 1), end_date=D(2018, 12, 31))
    MembershipFactory(board=board_a, person=person, start_date=D(2019, 1, 1), end_date=D(2023, 12, 31))
    errors = errors_of(build(person=person, board=board_a, start_date=D(2024, 1, 1), end_date=D(2028, 12, 31)))
    assert "paling banyak 2 periode" in errors["person"][0]


def test_it_refuses_posts_on_two_kelurahan_boards_at_once(world):
    person = PersonFactory()
    MembershipFactory(board=world["board_a"], person=person, start_date=D(2024, 1, 1), end_date=D(2028, 12, 31))
    errors = errors_of(build(person=person, board=world["board_b"], start_date=D(2025, 1, 1),
                             end_date=D(2029, 12, 31)))
    assert "LPM Kelurahan A1" in errors["person"][0]
    # After the first term ends the person may serve elsewhere, and a Forum post alongside is allowed.
    services.membership_save(membership=build(person=person, board=world["board_b"], start_date=D(2029, 1, 1),
                                              end_date=D(2033, 12, 31)))
    services.membership_save(membership=build(person=person, board=world["forum_a"], start_date=D(2025, 1, 1),
                                              end_date=D(2029, 12, 31)))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraints exist on PostgreSQL only")
def test_postgres_refuses_a_second_ketua_even_without_clean(board_a):
    MembershipFactory(board=board_a, position=Membership.Position.KETUA)
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(board=board_a, position=Membership.Position.KETUA)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraints exist on PostgreSQL only")
def test_postgres_refuses_an_overlapping_duplicate_even_without_clean(board_a):
    membership = MembershipFactory(board=board_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(board=board_a, person=membership.person, position=Membership.Position.BENDAHARA)


def test_membership_end_stops_the_term_yesterday(board_a):
    today = datetime.date(2026, 11, 27)
    membership = MembershipFactory(board=board_a, start_date=D(2024, 1, 1), end_date=D(2028, 12, 31))
    services.membership_end(membership=membership, on=today)
    membership.refresh_from_db()
    assert membership.end_date == D(2026, 11, 26)
    assert not membership.is_active(today)
    # A successor may start the same day.
    services.membership_save(membership=build(person=PersonFactory(), board=board_a,
                                              position=Membership.Position.KETUA, start_date=today,
                                              end_date=D(2031, 11, 26)))


def test_membership_changes_are_recorded_with_who(board_a, admin_user):
    membership = MembershipFactory(board=board_a)
    membership._history_user = admin_user
    membership.position = Membership.Position.BENDAHARA
    membership.save()
    latest = membership.history.first()
    assert latest.position == Membership.Position.BENDAHARA
    assert latest.history_user == admin_user
    assert membership.history.count() == 2

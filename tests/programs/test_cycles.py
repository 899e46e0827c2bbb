"""Planning cycles (staff): list, create, edit, and publishing decisions held for a whole cycle."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from meetings.models import Notification
from programs.models import Cycle, Proposal, ProposalEvent
from tests.factories import CycleFactory, ProposalFactory

S = Proposal.Status
CYCLES = reverse("programs:cycles")
CREATE = reverse("programs:cycle_create")


def edit_url(cycle):
    return reverse("programs:cycle_edit", args=[cycle.pk])


def publish_url(cycle):
    return reverse("programs:cycle_publish", args=[cycle.pk])


def form_data(**overrides):
    data = {"name": "Usulan Program 2028", "year": "2028", "opens_on": "2027-01-05", "closes_on": "2027-02-28",
            "max_per_board": "5", "publication": "each"}
    data.update(overrides)
    return data


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- who may manage cycles -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["officer_a", "coordinator_a"])
def test_only_staff_manage_cycles(client, request, cycle, who):
    client.force_login(request.getfixturevalue(who))
    for target in (CYCLES, CREATE, edit_url(cycle), publish_url(cycle)):
        assert client.get(target).status_code == 403
    assert client.post(CREATE, form_data()).status_code == 403
    assert client.post(publish_url(cycle)).status_code == 403
    assert not Cycle.objects.filter(name="Usulan Program 2028").exists()


def test_anonymous_visitors_are_sent_to_the_login_page(client, cycle):
    response = client.get(CYCLES)
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


# --- list, create, edit ---------------------------------------------------------------------------------


def test_the_list_shows_each_cycle_with_its_window_and_counts(client, staff, cycle, draft_a, place, world):
    place(draft_a, S.SUBMITTED)
    ProposalFactory(board=world["board_a2"], cycle=cycle)  # a draft: not counted
    client.force_login(staff)
    response = client.get(CYCLES)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Usulan Program 2027" in html and "dibuka" in html
    [listed] = response.context["cycles"]
    assert (listed.proposal_count, listed.held_count) == (1, 0)
    assert edit_url(cycle) in html


@pytest.mark.parametrize("size", [1, 8])
def test_the_list_query_count_does_not_grow_with_cycles(client, staff, size, django_assert_num_queries):
    """Prevents an N+1 on proposal and held-decision counts per cycle."""
    for _index in range(size):
        CycleFactory()
    client.force_login(staff)
    # session, user, staff group, memberships, cycles with their counts, unread-notices count
    with django_assert_num_queries(6):
        assert client.get(CYCLES).status_code == 200


def test_staff_create_a_cycle(client, staff):
    client.force_login(staff)
    response = client.post(CREATE, form_data(publication="together"))
    assert response.status_code == 302 and response.url == CYCLES
    cycle = Cycle.objects.get(name="Usulan Program 2028")
    assert (cycle.year, cycle.opens_on, cycle.closes_on, cycle.max_per_board, cycle.publication) == (
        2028, datetime.date(2027, 1, 5), datetime.date(2027, 2, 28), 5, "together")


def test_a_cycle_without_a_cap_is_allowed(client, staff):
    client.force_login(staff)
    client.post(CREATE, form_data(max_per_board=""))
    assert Cycle.objects.get(name="Usulan Program 2028").max_per_board is None


def test_a_window_of_one_day_is_allowed(client, staff):
    client.force_login(staff)
    client.post(CREATE, form_data(opens_on="2027-01-05", closes_on="2027-01-05"))
    assert Cycle.objects.filter(name="Usulan Program 2028").exists()


def test_it_refuses_a_window_that_closes_before_it_opens(client, staff):
    client.force_login(staff)
    response = client.post(CREATE, form_data(opens_on="2027-03-01", closes_on="2027-02-28"))
    assert response.status_code == 400
    assert response.context["form"].errors["closes_on"] == [
        "Tanggal ditutup harus sama dengan atau sesudah tanggal dibuka."]
    assert "Tanggal ditutup harus sama dengan atau sesudah tanggal dibuka." in response.content.decode()
    assert not Cycle.objects.filter(name="Usulan Program 2028").exists()


@pytest.mark.parametrize("field, value, message", [
    ("name", "", "Nama siklus wajib diisi."),
    ("name", "Usulan Program 2027", "Sudah ada siklus dengan nama ini."),
    ("year", "27", "Tahun anggaran tidak masuk akal; tulis empat angka, misalnya 2027."),
    ("opens_on", "", "Isi tanggal pengajuan dibuka."),
    ("max_per_board", "0", "Isi 1 atau lebih, atau kosongkan bila tidak dibatasi."),
])
def test_it_refuses_bad_cycle_fields(client, staff, cycle, field, value, message):
    client.force_login(staff)
    response = client.post(CREATE, form_data(**{field: value}))
    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert Cycle.objects.count() == 1


def test_staff_edit_a_cycle(client, staff, cycle):
    client.force_login(staff)
    response = client.get(edit_url(cycle))
    assert response.status_code == 200
    assert f'value="{cycle.opens_on:%Y-%m-%d}"' in response.content.decode()
    response = client.post(edit_url(cycle), form_data(name=cycle.name, closes_on="2027-12-31", max_per_board="3"))
    assert response.url == CYCLES
    cycle.refresh_from_db()
    assert (cycle.closes_on, cycle.max_per_board) == (datetime.date(2027, 12, 31), 3)


def test_editing_refuses_a_window_that_closes_before_it_opens(client, staff, cycle):
    client.force_login(staff)
    response = client.post(edit_url(cycle), form_data(name=cycle.name, opens_on="2027-05-01",
                                                      closes_on="2027-04-30"))
    assert response.status_code == 400
    assert "closes_on" in response.context["form"].errors
    before = cycle.closes_on
    cycle.refresh_from_db()
    assert cycle.closes_on == before


def test_editing_an_unknown_cycle_is_404(client, staff):
    client.force_login(staff)
    assert client.get(reverse("programs:cycle_edit", args=[999999])).status_code == 404


# --- decisions held until published --------------------------------------------------------------------------


@pytest.fixture
def together(cycle):
    cycle.publication = Cycle.Publication.TOGETHER
    cycle.save()
    return cycle


@pytest.fixture
def two_under_review(together, world, place, officer_a, officer_b):
    a = place(ProposalFactory(board=world["board_a"], cycle=together, title="Posyandu A"), S.UNDER_REVIEW)
    b = place(ProposalFactory(board=world["board_b"], cycle=together, title="Drainase B"), S.UNDER_REVIEW)
    return a, b


def _decide_both(client, staff, a, b):
    client.force_login(staff)
    response = client.post(reverse("programs:approve", args=[a.pk]), {"approved_budget": "1.000.000"})
    assert "Keputusan ditahan" in " ".join(texts(response))
    client.post(reverse("programs:reject", args=[b.pk]), {"reason": "Di luar prioritas kecamatan."})


def test_decisions_are_held_and_hidden_from_the_board_until_published(client, staff, officer_a, officer_b,
                                                                    two_under_review):
    a, b = two_under_review
    _decide_both(client, staff, a, b)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == (S.APPROVED, S.REJECTED)
    assert a.decision_published_at is None and b.decision_published_at is None
    assert a.status_for_board() == S.UNDER_REVIEW and b.status_for_board() == S.UNDER_REVIEW
    # The boards heard nothing of the decisions yet.
    assert not Notification.objects.filter(user__in=[officer_a, officer_b]).exists()


def test_the_publish_page_counts_the_held_decisions(client, staff, two_under_review):
    a, b = two_under_review
    _decide_both(client, staff, a, b)
    response = client.get(publish_url(a.cycle))
    assert response.status_code == 200
    assert response.context["counts"] == {"total": 2, "approved": 1, "rejected": 1}
    html = response.content.decode()
    assert "2 keputusan ditahan" in html and "1 disetujui, 1 ditolak." in html
    # Looking is not publishing.
    assert Proposal.objects.filter(decision_published_at__isnull=True).count() == 2


def test_publishing_shows_every_decision_and_tells_the_boards(client, staff, officer_a, officer_b, two_under_review):
    a, b = two_under_review
    _decide_both(client, staff, a, b)
    before = timezone.now()
    response = client.post(publish_url(a.cycle))
    assert response.status_code == 302 and response.url == CYCLES
    assert texts(response)[-1:] == ["2 keputusan siklus Usulan Program 2027 diumumkan; lembaga-lembaganya diberi tahu."]
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.decision_published_at >= before and b.decision_published_at == a.decision_published_at
    assert (a.status_for_board(), b.status_for_board()) == (S.APPROVED, S.REJECTED)
    assert Cycle.objects.get(pk=a.cycle_id).decisions_published_at == a.decision_published_at
    assert Notification.objects.filter(user=officer_a, text__contains="Disetujui",
                                       url=reverse("programs:detail", args=[a.pk])).exists()
    assert Notification.objects.filter(user=officer_b, text__contains="Ditolak").exists()
    # Publishing is not a new transition.
    assert ProposalEvent.objects.filter(to_status__in=[S.APPROVED, S.REJECTED]).count() == 2


def test_the_list_shows_held_decisions_and_the_publish_link(client, staff, two_under_review):
    a, b = two_under_review
    _decide_both(client, staff, a, b)
    response = client.get(CYCLES)
    assert response.context["cycles"][0].held_count == 2
    assert publish_url(a.cycle) in response.content.decode()


def test_nothing_to_publish_changes_nothing(client, staff, together):
    client.force_login(staff)
    response = client.get(publish_url(together))
    assert "Tidak ada keputusan yang ditahan" in response.content.decode()
    response = client.post(publish_url(together))
    assert response.url == CYCLES
    together.refresh_from_db()
    assert together.decisions_published_at is None


def test_a_cycle_publishing_one_by_one_has_nothing_to_publish(client, staff, cycle, draft_a, place):
    place(draft_a, S.UNDER_REVIEW)
    client.force_login(staff)
    client.post(reverse("programs:approve", args=[draft_a.pk]), {"approved_budget": "1.250.000"})
    draft_a.refresh_from_db()
    assert draft_a.decision_published_at is not None
    response = client.post(publish_url(cycle))
    assert texts(response)[-1] == "Tidak ada keputusan yang ditahan pada siklus Usulan Program 2027."
    cycle.refresh_from_db()
    assert cycle.decisions_published_at is None


def test_a_cycle_holding_decisions_cannot_switch_to_one_by_one(client, staff, two_under_review):
    a, b = two_under_review
    _decide_both(client, staff, a, b)
    cycle = a.cycle
    response = client.post(edit_url(cycle), form_data(name=cycle.name, publication="each"))
    assert response.status_code == 400
    assert "publication" in response.context["form"].errors
    cycle.refresh_from_db()
    assert cycle.publication == "together"

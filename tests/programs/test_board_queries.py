"""Query counts of the board's pages do not grow with the rows they show."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from programs.models import Attachment, BudgetLine, ProgressReport, Proposal, ProposalEvent, Recommendation
from tests import factories


@pytest.mark.parametrize("count", [2, 12])
def test_the_boards_list_query_count_is_fixed(client, officer_a, world, cycle, place, count,
                                              django_assert_num_queries):
    """Prevents an N+1 on the board, field, cycle, document count or review start of each proposal."""
    for n in range(count):
        proposal = factories.ProposalFactory(board=world["board_a"], cycle=cycle, priority=n + 1)
        Attachment.objects.create(proposal=proposal, title="RAB", file="programs/x/rab.pdf", filename="rab.pdf",
                                  content_type="application/pdf", size=10)
        if n % 2:
            place(proposal, "under_review")
    client.force_login(officer_a)
    # session, user, staff group, memberships, cycles, proposals (one query with the counts and the review
    # start), can the user draft (boards, open cycles), unread notices
    with django_assert_num_queries(9):
        response = client.get(reverse("programs:list"))
    assert response.status_code == 200
    assert response.content.decode().count('data-label="Judul"') == count


@pytest.mark.parametrize("count", [2, 12])
def test_the_coordinators_list_query_count_is_fixed(client, coordinator_a, world, cycle, place, count,
                                                    django_assert_num_queries):
    """The kecamatan's proposals across boards: still one query for all of them."""
    for n in range(count):
        board = world["board_a"] if n % 2 else world["board_a2"]
        place(factories.ProposalFactory(board=board, cycle=cycle, priority=n + 1), "submitted")
    client.force_login(coordinator_a)
    # as for the board, less the open-cycles check: a Forum has no board to draft for
    with django_assert_num_queries(8):
        response = client.get(reverse("programs:list"))
    assert response.content.decode().count('data-label="Judul"') == count


def _grow(proposal, user, count):
    """``count`` of everything the detail page lists: budget lines, events, documents, reports with photos."""
    BudgetLine.objects.filter(proposal=proposal).delete()
    BudgetLine.objects.bulk_create(
        BudgetLine(proposal=proposal, position=n, item=f"Barang {n}", volume=2, unit="buah", unit_cost=10_000,
                   subtotal=20_000) for n in range(count))
    ProposalEvent.objects.bulk_create(
        ProposalEvent(proposal=proposal, kind=ProposalEvent.Kind.COMMENT, actor=user, actor_name="Siti",
                      note=f"Komentar {n}") for n in range(count))
    Attachment.objects.bulk_create(
        Attachment(proposal=proposal, title=f"Dokumen {n}", file=f"programs/x/d{n}.pdf", filename=f"d{n}.pdf",
                   content_type="application/pdf", size=10) for n in range(count))
    today = timezone.localdate()
    for n in range(count):
        report = ProgressReport.objects.create(
            proposal=proposal, report_date=today - datetime.timedelta(days=count - n), percent=n * 10,
            narrative=f"Laporan {n}", spent=n * 1000,
        )
        Attachment.objects.create(proposal=proposal, report=report, title=f"Foto {n}", file=f"programs/x/f{n}.jpg",
                                  filename=f"f{n}.jpg", content_type="image/jpeg", size=10)


@pytest.mark.parametrize("count", [1, 8])
def test_the_detail_page_query_count_is_fixed(client, officer_a, draft_a, place, count, django_assert_num_queries):
    """Prevents an N+1 on budget lines, documents, reports and their photos, and events."""
    place(draft_a, "in_progress", progress_percent=50)
    _grow(draft_a, officer_a, count)
    client.force_login(officer_a)
    # session, user, staff group, memberships, the proposal (with its one-to-ones), budget lines, attachments
    # (documents and photos), reports, events, unread notices; the user's facts come from the cache afterwards
    with django_assert_num_queries(10):
        response = client.get(reverse("programs:detail", args=[draft_a.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("Komentar ") >= count
    assert page.count('<img src="') == count
    assert page.count("Dokumen ") == count


@pytest.mark.parametrize("count", [1, 8])
def test_the_detail_page_for_staff_query_count_is_fixed(client, staff, officer_a, draft_a, place, count,
                                                        django_assert_num_queries, settings):
    """The same page for staff, with a recommendation and the review panel."""
    settings.PAGE_CACHE_SECONDS = 0  # the page's own queries, not its kept copy (tests/portal/test_pagecache.py)
    place(draft_a, "under_review")
    Recommendation.objects.create(proposal=draft_a, recommends=True, note="Layak.")
    _grow(draft_a, officer_a, count)
    client.force_login(staff)
    with django_assert_num_queries(10):
        response = client.get(reverse("programs:detail", args=[draft_a.pk]))
    assert response.status_code == 200
    # Later requests read the user's staff group, memberships and unread count from the cache.
    with django_assert_num_queries(7):
        response = client.get(reverse("programs:detail", args=[draft_a.pk]))
    assert response.status_code == 200


def test_a_carried_proposal_costs_one_more_query_for_both_links(client, officer_a, draft_a, place, cycle,
                                                                django_assert_num_queries):
    """The proposals it continues and is continued by: not joined, fetched together only when there are any."""
    earlier = factories.ProposalFactory(board=draft_a.board, cycle=factories.CycleFactory(), title="Yang lalu")
    later = factories.ProposalFactory(board=draft_a.board, cycle=factories.CycleFactory(), title="Yang berikut")
    place(draft_a, "rejected")
    Proposal.objects.filter(pk=draft_a.pk).update(carried_from=earlier)
    Proposal.objects.filter(pk=later.pk).update(carried_from=draft_a)
    client.force_login(officer_a)
    with django_assert_num_queries(11):
        page = client.get(reverse("programs:detail", args=[draft_a.pk])).content.decode()
    assert reverse("programs:detail", args=[earlier.pk]) in page and "Yang lalu" in page
    assert reverse("programs:detail", args=[later.pk]) in page and "Yang berikut" in page
    assert later.cycle.name in page and earlier.cycle.name in page
    # Continued already: no second carrying over offered.
    assert reverse("programs:carry_over", args=[draft_a.pk]) not in page

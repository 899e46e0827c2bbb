"""Reads for boards and memberships, shaped so that query counts stay fixed."""

import datetime

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from .models import Board, Membership, Person

# Order of positions on a board page: Ketua first, Anggota last.
POSITION_ORDER = {value: index for index, value in enumerate(Membership.Position.values)}


def _active_memberships(on):
    return Membership.objects.active(on).select_related("person")


def boards_with_officers(boards, *, on=None):
    """Boards (a queryset, or boards fetched with their region) with their region and active pengurus in a
    fixed number of queries.

    Each board gets ``officers`` (active memberships, ordered by position) and
    ``ketua`` (the active Ketua's membership or None).
    """
    on = on or timezone.localdate()
    officers = Prefetch("memberships", queryset=_active_memberships(on), to_attr="active_memberships")
    if isinstance(boards, QuerySet):
        boards = list(boards.select_related("region__parent").prefetch_related(officers))
    else:  # boards already fetched (with their region): only the officers
        prefetch_related_objects(boards, officers)
    for board in boards:
        board.officers = sorted(
            board.active_memberships, key=lambda m: (POSITION_ORDER[m.position], m.person.name)
        )
        board.ketua = next((m for m in board.officers if m.position == Membership.Position.KETUA), None)
    return boards


def with_health(boards, *, on=None):
    """Annotate each board with its active officer count, whether it has an
    active Ketua, and whether any active term ends within TERM_ENDING_SOON_DAYS."""
    on = on or timezone.localdate()
    soon = on + datetime.timedelta(days=settings.TERM_ENDING_SOON_DAYS)
    active = Membership.objects.active(on).filter(board=OuterRef("pk"))
    return boards.select_related("region__parent").annotate(
        officer_count=Count("memberships", filter=Q(memberships__start_date__lte=on, memberships__end_date__gte=on)),
        has_ketua=Exists(active.filter(position=Membership.Position.KETUA)),
        term_ending_soon=Exists(active.filter(end_date__lte=soon)),
    )


def boards_needing_attention(boards, *, on=None):
    """LPM kelurahan boards with no active Ketua or a term about to end."""
    return list(
        with_health(boards.kelurahan(), on=on)
        .filter(Q(has_ketua=False) | Q(term_ending_soon=True))
        .order_by("region__code")
    )


def directory(boards, *, on=None):
    """Boards grouped by kecamatan, as [(kecamatan Region or None, [boards])]."""
    boards = with_health(boards, on=on).order_by("region__code")
    groups = {}
    for board in boards:
        if board.kind == Board.Kind.ASSOCIATION:
            key = None
        else:
            key = board.region if board.kind == Board.Kind.FORUM else board.region.parent
        groups.setdefault(key, []).append(board)
    ordered = sorted(groups.items(), key=lambda item: item[0].code if item[0] else "")
    for _kecamatan, items in ordered:
        # The Forum LPM heads its kecamatan's list.
        items.sort(key=lambda b: (b.kind != Board.Kind.FORUM, b.region.code))
    return ordered


def city_summary(*, on=None):
    on = on or timezone.localdate()
    soon = on + datetime.timedelta(days=settings.TERM_ENDING_SOON_DAYS)
    active = Membership.objects.active(on)
    lpm = Board.objects.kelurahan()
    return {
        "boards": lpm.count(),
        "people": Person.objects.count(),
        "active_memberships": active.count(),
        "boards_without_ketua": lpm.exclude(
            pk__in=active.filter(position=Membership.Position.KETUA).values("board_id")
        ).count(),
        "boards_term_ending": lpm.filter(pk__in=active.filter(end_date__lte=soon).values("board_id")).count(),
    }

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from meetings.selectors import open_follow_ups_for_board
from portal.lib.pagecache import cached_page

from . import selectors
from .access import access_for


@login_required
@cached_page
def board_list(request):
    access = access_for(request.user)
    groups = selectors.directory(access.visible_boards())
    return render(request, "organizations/board_list.html", {"groups": groups})


@login_required
@cached_page
def board_detail(request, pk):
    access = access_for(request.user)
    [board] = selectors.boards_with_officers([access.get_board_or_404(pk)])
    return render(
        request,
        "organizations/board_detail.html",
        {
            "board": board,
            "show_contacts": access.can_view_contacts(board),
            "open_follow_ups": open_follow_ups_for_board(board),
        },
    )


@login_required
def my_board(request):
    """The officer's entry point: straight to their board when there is one."""
    access = access_for(request.user)
    if len(access.board_ids) == 1:
        return redirect("organizations:board_detail", pk=next(iter(access.board_ids)))
    boards = selectors.boards_with_officers(access.visible_boards().filter(pk__in=access.board_ids))
    return render(request, "organizations/my_boards.html", {"boards": boards})

"""In-portal notices: the header count, the list page, marking as read; each user sees only their own."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings.models import Notification
from portal.lib.context_processors import notifications as notifications_processor
from tests.helpers import assert_no_inline_code

LIST = "meetings:notifications"


def notice(user, text="Undangan: Rakor LPM Triwulan IV", *, url="/rapat/1/", read=False, minutes_ago=0):
    return Notification.objects.create(
        user=user,
        text=text,
        url=url,
        created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago),
        read_at=timezone.now() if read else None,
    )


def read_url(notification):
    return reverse("meetings:notification_read", args=[notification.pk])


def assert_login_redirect(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- who may see what ----------------------------------------------------------------------------


def test_visitors_are_sent_to_the_login_page(client, officer_a):
    mine = notice(officer_a)

    assert_login_redirect(client.get(reverse(LIST)))
    assert_login_redirect(client.post(read_url(mine)))
    assert_login_redirect(client.post(reverse("meetings:notifications_read_all")))
    mine.refresh_from_db()
    assert mine.read_at is None


def test_it_lists_only_the_users_own_notices_newest_first(client, officer_a, officer_b, meeting):
    url = reverse("meetings:detail", args=[meeting.pk])
    notice(officer_a, "Undangan: Rakor lama", url=url, minutes_ago=60, read=True)
    notice(officer_a, "Pengingat: Rakor baru", url=url, minutes_ago=5)
    notice(officer_b, "Rahasia milik LPM B")
    client.force_login(officer_a)

    response = client.get(reverse(LIST))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Rahasia milik LPM B" not in body
    assert body.index("Pengingat: Rakor baru") < body.index("Undangan: Rakor lama")
    # The notice's link opens the meeting page.
    assert f'<a href="{url}">Pengingat: Rakor baru</a>' in body
    assert_no_inline_code(body)


def test_unread_notices_stand_out_and_read_ones_do_not(client, officer_a):
    unread = notice(officer_a, "Belum dibaca")
    notice(officer_a, "Sudah dibaca", read=True, minutes_ago=1)
    client.force_login(officer_a)

    body = client.get(reverse(LIST)).content.decode()

    assert body.count('class="card notification unread"') == 1
    assert body.count('class="card notification"') == 1
    assert body.count(">Baru</span>") == 1
    assert body.count(read_url(unread)) == 1  # only the unread one has a "mark as read" button
    assert "1 notifikasi belum dibaca." in body
    assert reverse("meetings:notifications_read_all") in body


def test_it_says_so_when_there_is_nothing(client, staff):
    client.force_login(staff)

    body = client.get(reverse(LIST)).content.decode()

    assert "Belum ada notifikasi." in body
    assert reverse("meetings:notifications_read_all") not in body


def test_it_pages_long_lists(client, officer_a):
    for index in range(25):
        notice(officer_a, f"Pemberitahuan nomor {index:02d}", minutes_ago=index)
    client.force_login(officer_a)

    first = client.get(reverse(LIST))
    second = client.get(reverse(LIST), {"page": 2})

    assert len(first.context["page_obj"]) == 20 and len(second.context["page_obj"]) == 5
    assert "Pemberitahuan nomor 00" in first.content.decode()
    assert "Pemberitahuan nomor 24" in second.content.decode()
    assert "?page=2" in first.content.decode()
    assert client.get(reverse(LIST), {"page": "banyak"}).status_code == 200


@pytest.mark.parametrize("size", [3, 30])
def test_the_list_costs_the_same_queries_however_many_notices(client, officer_a, size, django_assert_num_queries):
    """Prevents per-notice queries (reading a notice's reminder or meeting while rendering the list)."""
    for index in range(size):
        notice(officer_a, minutes_ago=index, read=index % 2 == 0)
    client.force_login(officer_a)
    # session, user, staff group, user's memberships, count, page of notices, unread count (header)
    with django_assert_num_queries(7):
        response = client.get(reverse(LIST))
    assert response.status_code == 200


# --- marking as read -----------------------------------------------------------------------------


def test_marking_one_read_is_a_post_and_only_changes_that_one(client, officer_a):
    first, second = notice(officer_a), notice(officer_a)
    client.force_login(officer_a)

    assert client.get(read_url(first)).status_code == 405
    response = client.post(read_url(first))

    assert response.status_code == 302 and response["Location"] == reverse(LIST)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None


def test_marking_twice_keeps_the_first_time(client, officer_a):
    mine = notice(officer_a, read=True)
    when = mine.read_at
    client.force_login(officer_a)

    client.post(read_url(mine))

    mine.refresh_from_db()
    assert mine.read_at == when


def test_marking_read_keeps_the_page_of_the_list(client, officer_a):
    mine = notice(officer_a)
    client.force_login(officer_a)

    assert client.post(read_url(mine), {"page": "2"})["Location"] == reverse(LIST) + "?page=2"
    assert client.post(read_url(mine), {"page": "//evil.example.com"})["Location"] == reverse(LIST)


def test_someone_elses_notice_is_not_found(client, officer_a, officer_b):
    theirs = notice(officer_b)
    client.force_login(officer_a)

    assert client.post(read_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.post(reverse("meetings:notification_read", args=[theirs.pk + 1000])).status_code == 404


def test_staff_cannot_mark_an_officers_notice_either(client, staff, officer_a):
    theirs = notice(officer_a)
    client.force_login(staff)

    assert client.post(read_url(theirs)).status_code == 404


def test_mark_all_read_marks_only_the_users_own(client, officer_a, officer_b):
    mine = [notice(officer_a), notice(officer_a)]
    theirs = notice(officer_b)
    client.force_login(officer_a)

    assert client.get(reverse("meetings:notifications_read_all")).status_code == 405
    response = client.post(reverse("meetings:notifications_read_all"), follow=True)

    assert response.redirect_chain[-1][0] == reverse(LIST)
    assert "Semua notifikasi ditandai sudah dibaca." in response.content.decode()
    assert all(n.read_at for n in Notification.objects.filter(pk__in=[n.pk for n in mine]))
    theirs.refresh_from_db()
    assert theirs.read_at is None


# --- the header count ----------------------------------------------------------------------------


def test_the_header_counts_unread_notices(client, officer_a, officer_b):
    notice(officer_a)
    notice(officer_a)
    notice(officer_a, read=True)
    notice(officer_b)
    client.force_login(officer_a)

    body = client.get(reverse("home")).content.decode()

    assert f'href="{reverse(LIST)}">Notifikasi (2)</a>' in body
    assert "has-unread" in body
    client.post(reverse("meetings:notifications_read_all"))
    body = client.get(reverse("home")).content.decode()
    assert f'href="{reverse(LIST)}">Notifikasi (0)</a>' in body
    assert "has-unread" not in body


def test_visitors_see_no_count(client, db):
    body = client.get(reverse("account_login")).content.decode()

    assert reverse(LIST) not in body
    assert "Notifikasi (" not in body


def test_the_count_costs_one_query_when_shown_and_none_for_visitors(
    rf: RequestFactory, officer_a, django_assert_num_queries
):
    request = rf.get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert notifications_processor(request) == {}

    notice(officer_a)
    request.user = officer_a
    with django_assert_num_queries(0):
        context = notifications_processor(request)  # lazy: nothing until a template shows it
    with django_assert_num_queries(1):
        assert int(str(context["unread_notifications"])) == 1
        assert context["unread_notifications"]
        assert str(context["unread_notifications"]) == "1"


def test_a_fragment_without_the_header_does_not_count(client, staff, meeting):
    """HTMX fragments render without base.html: the lazy count is never evaluated."""
    client.force_login(staff)
    url = reverse("meetings:invite_preview", args=[meeting.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"reach": "all", "positions": "ketua"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert not any('"meetings_notification"' in q["sql"] for q in queries.captured_queries)

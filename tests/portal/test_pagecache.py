"""Kept pages (portal.lib.pagecache) are served again only while nothing they were read from has changed.

Every other test that reads a page after changing data checks the same thing in passing (their clients
carry a CSRF cookie, see tests/conftest.py); here are the rules themselves: who gets a kept page, which
writes make it stale, and what is never kept.
"""

import datetime
import re
import threading

import pytest
from django.db import connection, connections, transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from meetings.models import Reminder
from organizations.models import Board, Membership, Person
from portal.lib import cache as tokens
from portal.lib import pagecache
from tests import factories


def board_url(board):
    return reverse("organizations:board_detail", args=[board.pk])


def kept(response):
    """Served from the cache: no template was rendered for it."""
    return response.status_code == 200 and response.context is None


def test_a_page_is_served_again_with_two_queries_and_the_same_headers(client, officer_a, board_a,
                                                                      django_assert_num_queries):
    client.force_login(officer_a)
    first = client.get(board_url(board_a))
    assert first.status_code == 200 and not kept(first)
    with django_assert_num_queries(2):  # the session and the user; nothing of the page
        second = client.get(board_url(board_a))
    assert kept(second)
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    # What the middleware adds comes on the kept page too.
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert second["X-Frame-Options"] == "DENY"


def _save(board):
    board.name = "LPM Baru Namanya"
    board.save()


def _update(board):
    Board.objects.filter(pk=board.pk).update(name="LPM Baru Namanya")


def _raw_sql(board):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE organizations_board SET name = %s WHERE id = %s", ["LPM Baru Namanya", board.pk])


def _bulk_create(board):
    person = Person.objects.bulk_create([Person(name="LPM Baru Namanya", gender=Person.Gender.MALE)])[0]
    Membership.objects.bulk_create([Membership(
        person=person, board=board, position=Membership.Position.SEKRETARIS,
        start_date=timezone.localdate(), end_date=timezone.localdate() + datetime.timedelta(days=365),
    )])


@pytest.mark.parametrize("change", [_save, _update, _raw_sql, _bulk_create])
def test_any_write_to_a_table_the_page_read_makes_it_stale(client, officer_a, board_a, change):
    """Signals or not: the statement itself replaces the table's token (portal.lib.cache.watch_statements)."""
    client.force_login(officer_a)
    client.get(board_url(board_a))
    assert kept(client.get(board_url(board_a)))
    change(board_a)
    fresh = client.get(board_url(board_a))
    assert not kept(fresh)
    assert "LPM Baru Namanya" in fresh.content.decode()


def test_a_write_to_a_table_the_page_did_not_read_leaves_it_kept(client, officer_a, board_a, staff):
    client.force_login(officer_a)
    client.get(board_url(board_a))
    factories.CycleFactory()  # programs_cycle: the board page does not show cycles
    assert kept(client.get(board_url(board_a)))


def test_a_kept_page_is_never_served_to_someone_else(client, officer_a, officer_b, board_a, staff):
    client.force_login(officer_a)
    client.get(board_url(board_a))
    assert kept(client.get(board_url(board_a)))
    other = Client()
    other.force_login(officer_b)
    assert other.get(board_url(board_a)).status_code == 404
    other.force_login(staff)
    page = other.get(board_url(board_a))
    assert not kept(page) and page.status_code == 200


def test_losing_the_membership_makes_the_kept_page_stale(client, officer_a, board_a):
    client.force_login(officer_a)
    client.get(board_url(board_a))
    assert kept(client.get(board_url(board_a)))
    membership = Membership.objects.get(person__user=officer_a)
    membership.end_date = timezone.localdate() - datetime.timedelta(days=1)
    membership.save()
    assert client.get(board_url(board_a)).status_code == 404


def test_a_change_through_a_view_shows_with_its_message_once_then_the_new_page(client, officer_a, board_a):
    proposal = factories.ProposalFactory(board=board_a, created_by=officer_a)
    url = reverse("programs:detail", args=[proposal.pk])
    client.force_login(officer_a)
    client.get(url)
    assert kept(client.get(url))
    response = client.post(reverse("programs:comment", args=[proposal.pk]), {"text": "Sudah dibahas di rapat RT."},
                           follow=True)
    page = response.content.decode()
    assert "Sudah dibahas di rapat RT." in page
    assert '<ul class="messages"' in page  # the confirmation is shown...
    again = client.get(url)
    assert not kept(again)  # ...that page was not kept (it showed a message)
    assert "Sudah dibahas di rapat RT." in again.content.decode()
    assert kept(client.get(url))


def test_the_forms_on_a_kept_page_still_post(officer_a, board_a):
    proposal = factories.ProposalFactory(board=board_a, created_by=officer_a)
    url = reverse("programs:detail", args=[proposal.pk])
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer_a)
    client.get(url)
    page = client.get(url)
    assert kept(page)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    response = client.post(reverse("programs:comment", args=[proposal.pk]),
                           {"text": "Dari halaman yang disimpan.", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_a_new_csrf_secret_gets_its_own_page(client, officer_a, board_a, settings):
    client.force_login(officer_a)
    client.get(board_url(board_a))
    client.cookies[settings.CSRF_COOKIE_NAME] = "b" * 32
    assert not kept(client.get(board_url(board_a)))


def test_no_csrf_cookie_no_kept_page(officer_a, board_a, settings):
    client = Client()
    del client.cookies[settings.CSRF_COOKIE_NAME]
    client.force_login(officer_a)
    client.get(board_url(board_a))
    # The first page set the cookie; until the browser sends it back nothing is kept or served.
    assert not kept(client.get(board_url(board_a), HTTP_COOKIE=f"sessionid={client.cookies['sessionid'].value}"))


def test_each_language_has_its_own_page(client, officer_a, board_a, settings):
    client.force_login(officer_a)
    indonesian = client.get(board_url(board_a))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(board_url(board_a))
    assert not kept(english)
    assert '<html lang="en"' in english.content.decode() and '<html lang="id"' in indonesian.content.decode()


def test_a_new_day_or_a_new_release_renders_again(client, officer_a, board_a, monkeypatch):
    client.force_login(officer_a)
    client.get(board_url(board_a))
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(pagecache.timezone, "localdate", lambda: tomorrow)
    assert not kept(client.get(board_url(board_a)))
    monkeypatch.setattr(tokens, "_release", "another-release")
    assert not kept(client.get(board_url(board_a)))


def test_htmx_requests_and_a_zero_timeout_go_straight_to_the_view(client, officer_a, board_a, settings):
    client.force_login(officer_a)
    client.get(board_url(board_a))
    assert not kept(client.get(board_url(board_a), HTTP_HX_REQUEST="true"))
    settings.PAGE_CACHE_SECONDS = 0
    assert not kept(client.get(board_url(board_a)))


def test_without_the_cache_server_the_page_is_still_rendered(client, officer_a, board_a, monkeypatch):
    class Away:
        def __getattr__(self, name):
            def refuse(*args, **kwargs):
                raise ConnectionError("cache server away")

            return refuse

    client.force_login(officer_a)
    monkeypatch.setattr(pagecache, "cache", Away())
    monkeypatch.setattr(tokens, "cache", Away())
    for _ in range(2):
        response = client.get(board_url(board_a))
        assert response.status_code == 200 and not kept(response)
        assert board_a.name in response.content.decode()


def _request(user):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    request = RequestFactory().get("/uji/")
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.META["CSRF_COOKIE"] = "a" * 32
    return request


def test_a_page_that_reads_rows_workers_rewrite_is_not_kept(officer_a):
    calls = []

    @pagecache.cached_page
    def reminders(request):
        calls.append(Reminder.objects.count())
        return pagecache.HttpResponse("ok")

    @pagecache.cached_page
    def boards(request):
        calls.append(Board.objects.count())
        return pagecache.HttpResponse("ok")

    for view in (reminders, reminders, boards, boards):
        assert view(_request(officer_a)).content == b"ok"
    assert len(calls) == 3  # the second reminders call rendered again; the second boards call did not


def test_tokens_are_replaced_at_the_write_and_again_at_commit(db, django_capture_on_commit_callbacks):
    key = tokens.table_token_key("organizations_region")
    before = tokens.current_tokens([key])[key]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            _region()
            at_write = tokens.current_tokens([key])[key]
            _region(code="99.98")  # a second write in the same transaction, no page read between: no new token
            assert tokens.current_tokens([key])[key] == at_write
    after = tokens.current_tokens([key])[key]
    assert before != at_write != after
    assert len(callbacks) == 1  # one commit callback for the transaction, however many statements


def _region(code="99.99"):
    from organizations.models import Region

    return Region.objects.create(code=code, name=f"Kota {code}", level=Region.Level.KOTA)


@pytest.mark.parametrize(("sql", "written"), [
    ('INSERT INTO "programs_proposal" ("title") VALUES (%s)', {"programs_proposal"}),
    ('UPDATE "meetings_invitation" SET "attended" = true WHERE "id" IN (1, 2)', {"meetings_invitation"}),
    ('UPDATE organizations_board AS b SET name = %s', {"organizations_board"}),
    ('DELETE FROM "programs_budgetline" WHERE "proposal_id" = %s', {"programs_budgetline"}),
    ("WITH due AS (SELECT id FROM programs_proposal FOR UPDATE SKIP LOCKED) "
     "UPDATE programs_proposal SET status = 'x' FROM due WHERE programs_proposal.id = due.id",
     {"programs_proposal"}),
    # The outboxes' rows: rewritten for every message sent, never read by a kept page.
    ('UPDATE "meetings_reminder" SET "status" = %s WHERE "id" = %s', set()),
    ('INSERT INTO "programs_notice" ("user_id") VALUES (%s)', set()),
    ('SELECT "id" FROM "meetings_reminder" ORDER BY "due_at" LIMIT 50 FOR UPDATE SKIP LOCKED', set()),
    ('SELECT "id" FROM "programs_proposal" FOR UPDATE', set()),
    ("SET LOCAL synchronous_commit TO OFF", set()),
])
def test_writes_are_recognised_in_what_django_and_raw_sql_send(sql, written, monkeypatch):
    seen = set()
    executed = []

    class Connection:
        in_atomic_block = False

    def execute(*args):
        executed.append(args)

    monkeypatch.setattr(tokens, "_replace_table_tokens", seen.update)
    tokens.watch_statements(execute, sql, None, False, {"connection": Connection()})
    assert executed and seen == written


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a second connection that sees committed rows only")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_page_read_while_another_transaction_writes_is_stale_once_it_commits(officer_a, board_a):
    """The page is rendered from the old row after the writer's first token; the commit's token retires it."""
    client = Client()
    client.force_login(officer_a)
    written, rendered = threading.Event(), threading.Event()
    errors = []

    def writer():
        try:
            with transaction.atomic():
                Board.objects.filter(pk=board_a.pk).update(name="LPM Setelah Commit")
                written.set()
                assert rendered.wait(timeout=20)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    assert written.wait(timeout=20)
    during = client.get(board_url(board_a))
    assert "LPM Setelah Commit" not in during.content.decode()  # the write is not committed yet
    assert kept(client.get(board_url(board_a)))  # and that page was kept, under the writer's first token
    rendered.set()
    thread.join(timeout=20)
    assert not errors
    after = client.get(board_url(board_a))
    assert not kept(after) and "LPM Setelah Commit" in after.content.decode()


def test_with_the_development_file_cache_too(client, officer_a, board_a, settings, tmp_path):
    """Without REDIS_URL the cache is a folder that the web server and the worker share (portal.settings)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                   "LOCATION": str(tmp_path / "cache")}}
    client.force_login(officer_a)
    client.get(board_url(board_a))
    assert kept(client.get(board_url(board_a)))
    _update(board_a)
    fresh = client.get(board_url(board_a))
    assert not kept(fresh) and "LPM Baru Namanya" in fresh.content.decode()

"""Reminders end to end: a real Celery worker process, real Redis, a real SMTP server.

The worker is started as a subprocess (``python -m celery -A portal worker``)
and pointed, through the environment, at

- the test database pytest-django created (``test_<name>``, ``test_<name>_gw0``
  under xdist): the tests use ``transactional_db`` so what they write is
  committed and the worker sees it, and what the worker writes the tests see;
- a Redis database of their own (10 + the xdist worker's number, or
  ``INTEGRATION_REDIS_DB``) and a queue of their own per test
  (``CELERY_TASK_DEFAULT_QUEUE``), so parallel runs never take each other's tasks;
- an aiosmtpd server running in this process on 127.0.0.1, which records every
  message and can be slowed down, told to refuse (4xx/5xx) or stopped.

The tests play the beat themselves: they send ``dispatch_due_reminders`` (and
the sweeper) to the worker's queue through a Celery client of their own, as
often as they need, and poll the database with a deadline.

These tests need PostgreSQL (the test database must be visible to another
process; SKIP LOCKED is what is under test) and ``REDIS_URL``. Without them
they skip, unless CI (``CI=true``) or ``REQUIRE_BROWSER_TESTS=1`` /
``REQUIRE_INTEGRATION_TESTS=1`` asks for them to fail instead. The ``make run``
check needs neither: it runs on SQLite and the filesystem broker, like a
newcomer's machine.
"""

import logging
import os
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

from .support import WORKER_ENV, Broker, SmtpSink, Worker, wait_until, worker_env

INTEGRATION_DIR = Path(__file__).resolve().parent
NOTE_KEY = "integration_note"



# --- collection, skipping, and the summary ------------------------------------------------


def _is_integration(item):
    return INTEGRATION_DIR in Path(item.path).resolve().parents


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # tryfirst: the marker must be there before `-m "not integration"` deselects.
    for item in items:
        if _is_integration(item):
            item.add_marker(pytest.mark.integration)


def services_required() -> bool:
    return (
        os.environ.get("CI") == "true"
        or os.environ.get("REQUIRE_BROWSER_TESTS") == "1"
        or os.environ.get("REQUIRE_INTEGRATION_TESTS") == "1"
    )


def skip_or_fail(reason: str):
    if services_required():
        pytest.fail(f"{reason} (CI / REQUIRE_INTEGRATION_TESTS=1 forbids skipping)", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_logreport(report):
    # Notes recorded by the tests (e.g. how many duplicates the SIGKILL test saw)
    # travel with the report, so they reach the terminal under xdist too.
    if report.when == "call":
        for key, value in report.user_properties:
            if key == NOTE_KEY:
                _NOTES.append(f"{report.nodeid}: {value}")


_NOTES: list[str] = []


def pytest_terminal_summary(terminalreporter):
    if _NOTES:
        terminalreporter.section("reminder integration notes")
        for line in _NOTES:
            terminalreporter.write_line(line)


@pytest.fixture
def note(record_property):
    """Print a line now (seen with -s) and in the run's summary (always)."""

    def say(text: str):
        print(text)
        record_property(NOTE_KEY, text)

    return say


@pytest.fixture
def smtp():
    # aiosmtpd logs every SMTP command at INFO.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


# --- services, database, broker ------------------------------------------------------------------


@pytest.fixture
def services(transactional_db, django_db_serialized_rollback):
    """PostgreSQL and Redis, or skip (fail in CI).

    Transactional with serialized rollback: the worker must see committed rows,
    and the rows migrations created (the staff group) come back after a flush.
    """
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        skip_or_fail("reminder integration tests need PostgreSQL (DATABASE_URL=postgres://...)")
    if not os.environ.get("REDIS_URL"):
        skip_or_fail("reminder integration tests need Redis (REDIS_URL=redis://...)")
    return settings


def _xdist_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0


@pytest.fixture
def redis_url(services):
    """A Redis database of this test process's own, emptied before each test."""
    import redis

    parts = urllib.parse.urlsplit(os.environ["REDIS_URL"])
    number = int(os.environ.get("INTEGRATION_REDIS_DB", 10)) + _xdist_index()
    url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/{number}", "", ""))
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis at {url} does not answer: {error}", pytrace=False)
    client.flushdb()  # only this test process's own database
    client.close()
    return url


@pytest.fixture
def redis_client(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def database_url(services) -> str:
    """The test database, as a URL a subprocess can use."""
    from django.db import connection

    conf = connection.settings_dict
    quote = urllib.parse.quote
    auth = quote(conf["USER"] or "", safe="")
    if conf["PASSWORD"]:
        auth += ":" + quote(conf["PASSWORD"], safe="")
    host = conf["HOST"] or "localhost"
    port = f":{conf['PORT']}" if conf["PORT"] else ""
    return f"postgres://{auth}@{host}{port}/{quote(conf['NAME'], safe='')}"


@pytest.fixture
def queue_name() -> str:
    return f"integration-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def broker(redis_url, queue_name):
    client = Broker(redis_url, queue_name)
    yield client
    client.close()


@pytest.fixture
def workers(request, database_url, redis_url, queue_name, smtp, tmp_path):
    """Start workers for this test: ``workers.start()``; all are stopped at teardown.

    Each one reads the test's queue from the test's Redis database, writes to the
    test database and sends through the test's SMTP server.
    """

    class Workers:
        def __init__(self):
            self.started: list[Worker] = []

        def start(self, name="w1", *, concurrency=2, wait=True, **env) -> Worker:
            environment = worker_env(
                DATABASE_URL=database_url,
                CONN_MAX_AGE=0,
                REDIS_URL=redis_url,
                CELERY_BROKER_URL=redis_url,
                CELERY_TASK_DEFAULT_QUEUE=queue_name,
                EMAIL_URL=smtp.url,
                **{**WORKER_ENV, **env},
            )
            node = f"{name}-{uuid.uuid4().hex[:6]}@%h"
            args = ["--pool=prefork", f"--concurrency={concurrency}", "-Q", queue_name, "-n", node,
                    "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
            worker = Worker(name=name, env=environment, log_path=tmp_path / f"{name}-{len(self.started)}.log",
                            args=args)
            self.started.append(worker)
            return worker.wait_ready() if wait else worker

    pool = Workers()
    yield pool
    for worker in pool.started:  # all at once, then wait for each
        worker.terminate()
    for worker in pool.started:
        worker.stop()
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        for worker in pool.started:
            # Without the tests' beat: scans that found nothing.
            lines = [line for line in worker.log().splitlines()
                     if not ("dispatch_due_reminders[" in line and (line.endswith(("received", ": 0"))))]
            print(f"--- log of worker {worker.name} (empty scans left out) ---\n" + "\n".join(lines)[-8000:])


@pytest.fixture
def wait_idle(workers, redis_client, queue_name):
    """Wait until the test's queue is empty and every worker has finished what it took, for a moment."""

    def idle_now():
        return redis_client.llen(queue_name) == 0 and all(
            worker.tasks_in_hand() == 0 for worker in workers.started if worker.alive()
        )

    def wait(timeout: float = 60, steady: float = 0.3):
        since = {"at": None}

        def idle():
            if not idle_now():
                since["at"] = None
                return False
            since["at"] = since["at"] or time.monotonic()
            return time.monotonic() - since["at"] >= steady

        wait_until(idle, timeout=timeout, what="the workers to finish what they had")

    return wait


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    # After the test's own fixtures, the flush of its transactional database included.
    try:
        return (yield)
    finally:
        if nextitem is not None and not _is_integration(nextitem):
            _restore_migrated_rows(item.config)


def _restore_migrated_rows(config):
    """Leave the database as the tests found it (as tests/e2e/conftest.py does after the browser tests).

    A transactional test ends with a flush, and serialized rollback reloads the
    rows migrations created (the staff group) only at the start of the next
    such test. pytest-django runs the transactional tests after the ordinary
    ones, but a test that reaches the database only through
    request.getfixturevalue() comes later still and would find no staff group.
    """
    from django.db import connections
    from pytest_django.plugin import blocking_manager_key

    saved = [c for c in connections.all(initialized_only=True) if hasattr(c, "_test_serialized_contents")]
    if saved:
        with config.stash[blocking_manager_key].unblock():
            for connection in saved:
                connection.creation.deserialize_db_from_string(connection._test_serialized_contents)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Lets fixtures know at teardown whether the test failed (to print worker logs).
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report

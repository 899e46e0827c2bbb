"""Benchmark: 2,000 reminders through the portal's pipeline against plain smtplib.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/reminders/run.py [--count 2000] [--concurrency 2]

1. Creates a throwaway database (``test_<name>``, migrated, dropped at the end)
   with one meeting, ``--count`` invitees and a "2 hours before" reminder due
   for each.
2. Starts an SMTP sink (bench/reminders/sink.py, a process of its own) and a
   ``celery -A portal worker`` (prefork, ``--concurrency``) on a queue of its own,
   sends one ``dispatch_due_reminders`` and times until the last message arrives:
   claiming, batching, rendering text, HTML and iCalendar, in-app notices,
   SMTP and the outbox bookkeeping, all of it.
3. Sends the very messages the sink received again with plain ``smtplib``, over
   one connection, from this process: the cost of SMTP alone.
4. Prints messages per second for both, their ratio, and the worker's peak
   memory (VmHWM of each of its processes), as a Markdown table row.

``--profile`` also runs one batch in this process under cProfile (SMTP to the
sink as well) and prints where the time goes.
"""

import argparse
import cProfile
import datetime
import io
import os
import pstats
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter
from email.parser import BytesHeaderParser
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.reminders.sink import Tail, read_messages  # noqa: E402
from meetings import reminders  # noqa: E402
from meetings.models import AgendaItem, Invitation, Meeting, Reminder  # noqa: E402
from organizations.models import Person  # noqa: E402
from tests.integration.support import Broker, Worker, free_port, worker_env  # noqa: E402


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)
    return result


def database_url() -> str:
    conf = connection.settings_dict
    if conf["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{conf['NAME']}"
    quote = urllib.parse.quote
    auth = quote(conf["USER"] or "", safe="") + (":" + quote(conf["PASSWORD"], safe="") if conf["PASSWORD"] else "")
    port = f":{conf['PORT']}" if conf["PORT"] else ""
    return f"postgres://{auth}@{conf['HOST'] or 'localhost'}{port}/{quote(conf['NAME'], safe='')}"


def seed(count: int) -> Meeting:
    """One meeting in 90 minutes; each invitee's "2 hours before" reminder is due now (1 in 4 reads English)."""
    organiser = get_user_model().objects.create(username="bench@example.org", email="bench@example.org",
                                                is_staff=True)
    start = (timezone.now() + datetime.timedelta(minutes=90)).replace(microsecond=0)
    meeting = Meeting.objects.create(
        kind=Meeting.Kind.RAKOR, title="Rapat Koordinasi LPM se-Kota Balikpapan", organiser=organiser, start=start,
        end=start + datetime.timedelta(hours=3), venue="Aula DP3AKB Kota Balikpapan", reminder_slots=["2h"],
        reminder_note="Mohon membawa laporan kegiatan triwulan.",
    )
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, order=order, title=title, presenter=presenter)
        for order, (title, presenter) in enumerate([
            ("Pembukaan", "Kepala DP3AKB"), ("Laporan kegiatan LPM triwulan III", "Ketua Forum LPM"),
            ("Rencana musrenbang kelurahan", "Bappeda"), ("Tanya jawab dan penutup", ""),
        ])
    )
    people = Person.objects.bulk_create(
        Person(name=f"Warga Bench {n}", gender=Person.Gender.FEMALE, email=f"warga{n}@bench.example",
               language="en" if n % 4 == 3 else "id")
        for n in range(count)
    )
    Invitation.objects.bulk_create(
        Invitation(meeting=meeting, person=person, name=person.name, email=person.email,
                   board_name=f"LPM Kelurahan {n % 34}", position="Ketua")
        for n, person in enumerate(people)
    )
    reminders.reminders_plan(meeting=meeting, now=timezone.now() - datetime.timedelta(hours=1))
    due = Reminder.objects.due().filter(meeting=meeting).count()
    assert due == count, f"{due} reminders due, expected {count}"
    return meeting


def start_sink(out: Path):
    port = free_port()
    sink = subprocess.Popen([sys.executable, str(Path(__file__).with_name("sink.py")), "--port", str(port),
                             "--out", str(out)], stdout=subprocess.PIPE, text=True, cwd=BASE_DIR)
    assert sink.stdout.readline().strip() == "ready"
    return sink, port


def broker_url() -> str:
    return os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or "filesystem://"


def run_pipeline(args, meeting, sink_port, sink_file, tmp):
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    broker_folder = tmp / "broker"
    env = worker_env(
        DATABASE_URL=database_url(), REDIS_URL=os.environ.get("REDIS_URL", ""), CELERY_BROKER_URL=broker_url(),
        CELERY_BROKER_FOLDER=broker_folder, CELERY_TASK_DEFAULT_QUEUE=queue,
        EMAIL_URL=f"smtp://127.0.0.1:{sink_port}", LOG_LEVEL="WARNING",
    )
    worker = Worker(name="bench", env=env, log_path=tmp / "worker.log",
                    args=["--pool=prefork", f"--concurrency={args.concurrency}", "-Q", queue, "--loglevel=INFO",
                          "--without-gossip", "--without-mingle", "--without-heartbeat"])
    try:
        wait_for(lambda: " ready." in worker.log() or not worker.alive(), 60, "the worker")
        if not worker.alive():
            raise SystemExit(worker.log()[-3000:])
        broker = Broker(broker_url(), queue)
        if broker_url().startswith("filesystem://"):
            broker.app.conf.broker_transport_options = {
                "data_folder_in": str(broker_folder / "queue"), "data_folder_out": str(broker_folder / "queue"),
                "processed_folder": str(broker_folder / "processed"), "store_processed": False,
            }
        tail = Tail(sink_file)
        started = time.time()
        broker.dispatch()
        wait_for(lambda: tail.poll() >= args.count, args.timeout, f"{args.count} messages")
        memory = worker.peak_memory_kib()
        broker.close()
    finally:
        worker.stop()
    messages = read_messages(sink_file)
    finished = max(arrived for arrived, *_ in messages)
    rows = Reminder.objects.filter(meeting=meeting, slot="2h")
    statuses = dict(rows.order_by().values_list("status").annotate(n=Count("pk")))
    assert statuses == {Reminder.Status.SENT: args.count}, statuses
    # Each reminder arrived, once.
    seen = Counter(BytesHeaderParser().parsebytes(data)["Message-ID"] for *_, data in messages)
    assert set(seen) == {reminders.message_id_for(row) for row in rows}, "messages missing or unexpected"
    assert max(seen.values()) == 1, seen.most_common(3)
    return finished - started, memory, messages


def run_plain(messages, sink_port):
    started = time.time()
    with smtplib.SMTP("127.0.0.1", sink_port) as smtp:
        for _arrived, mail_from, rcpts, data in messages:
            smtp.sendmail(mail_from, rcpts, data)
    return time.time() - started


def profile_batch(meeting, sink_port):
    """Where the time of one batch goes, in this process, SMTP to the sink included.

    Three batches of BATCH_SIZE rows: one to warm the caches up (URLconf,
    templates, translations, the VTIMEZONE), one timed, one under cProfile.
    """
    from django.test.utils import CaptureQueriesContext

    size = reminders.BATCH_SIZE
    rows = list(Reminder.objects.filter(meeting=meeting, slot="2h").order_by("pk").values_list("pk", flat=True))
    batches = [rows[:size], rows[size:2 * size], rows[2 * size:3 * size]]
    Reminder.objects.filter(pk__in=rows[:3 * size]).update(status=Reminder.Status.SENDING, sent_at=None,
                                                           message_id="")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink_port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""

    reminders.reminders_send_batch(ids=batches[0])
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = reminders.reminders_send_batch(ids=batches[1])
    elapsed = time.perf_counter() - started
    print(f"\nOne batch in this process: {result}, {elapsed * 1000 / size:.1f} ms per message, "
          f"{len(queries)} queries ({len(queries) / size:.1f} per message)")

    profiler = cProfile.Profile()
    profiler.enable()
    reminders.reminders_send_batch(ids=batches[2])
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(15)
    print(out.getvalue())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    original_name = connection.settings_dict["NAME"]
    with tempfile.TemporaryDirectory(prefix="bench-reminders-") as folder:
        tmp = Path(folder)
        # A database of its own, never the test suite's test_<name>; a file on SQLite so the worker sees it.
        connection.settings_dict.setdefault("TEST", {})["NAME"] = (
            str(tmp / "bench.sqlite3") if connection.vendor == "sqlite" else f"{original_name}_bench_reminders"
        )
        test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            meeting = seed(args.count)
            sink_file = tmp / "sink.bin"
            sink, port = start_sink(sink_file)
            try:
                pipeline_seconds, memory, messages = run_pipeline(args, meeting, port, sink_file, tmp)
                plain_seconds = run_plain(messages, port)
                tail = Tail(sink_file)
                wait_for(lambda: tail.poll() >= 2 * args.count, 60, "the plain messages")
                if args.profile:
                    profile_batch(meeting, port)
            finally:
                sink.send_signal(signal.SIGTERM)
                sink.wait(timeout=10)
        finally:
            connection.creation.destroy_test_db(original_name, verbosity=0)

    size = sum(len(data) for *_, data in messages) / len(messages)
    pipeline_rate = args.count / pipeline_seconds
    plain_rate = args.count / plain_seconds
    peaks = sorted(memory.values(), reverse=True)
    print(f"database {connection.vendor} ({test_name}), broker {broker_url().split(':')[0]}, "
          f"{args.count} messages of {size / 1024:.1f} KiB on average, worker concurrency {args.concurrency}")
    print(f"pipeline: {pipeline_seconds:.2f} s, {pipeline_rate:.0f} msg/s")
    print(f"plain smtplib, one connection: {plain_seconds:.2f} s, {plain_rate:.0f} msg/s")
    print(f"ratio pipeline / plain: {pipeline_rate / plain_rate:.2f}")
    print("worker peak memory (VmHWM, MiB): " + ", ".join(f"{kib / 1024:.0f}" for kib in peaks)
          + f" (main process and {len(peaks) - 1} pool processes; sum {sum(peaks) / 1024:.0f})")
    print()
    print("| messages | pipeline msg/s | plain smtplib msg/s | ratio | worker peak memory, MiB (largest / sum) |")
    print("|---|---|---|---|---|")
    print(f"| {args.count} | {pipeline_rate:.0f} | {plain_rate:.0f} | {pipeline_rate / plain_rate:.2f} | "
          f"{max(peaks) / 1024:.0f} / {sum(peaks) / 1024:.0f} |")


if __name__ == "__main__":
    main()

"""`make run` delivers reminders: its Celery worker and beat, on SQLite and the filesystem broker.

What a newcomer's machine runs, with no Redis and no PostgreSQL: the database
is a SQLite file in a temporary folder (migrated first), the broker is kombu's
filesystem transport in another (``CELERY_BROKER_FOLDER``), and e-mail goes to
the console backend, the development default, so the message shows up in the
worker's output. The beat's dispatcher runs every second here
(``REMINDER_DISPATCH_INTERVAL``) instead of every minute.

Two ways to run worker and beat: the embedded beat (``celery worker -B``), and
the two processes of ``Procfile.dev`` that ``make run`` starts through honcho,
read from that file so that a broken line there fails here.
"""

import json
import shlex
import shutil
import sqlite3
import subprocess

import pytest

from .support import BASE_DIR, CELERY, Worker, wait_until, worker_env

TIMEOUT = 60


def procfile_commands(schedule: str) -> dict[str, list[str]]:
    """The worker and beat lines of Procfile.dev, run with this interpreter and a schedule file of the test's own."""
    commands = {}
    for line in (BASE_DIR / "Procfile.dev").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() not in ("worker", "beat"):
            continue
        argv = shlex.split(command)
        assert argv[0].endswith("celery"), f"Procfile.dev {name}: expected a celery command, got {argv[0]}"
        argv = [*CELERY, *argv[1:]]
        argv = [f"--schedule={schedule}" if arg.startswith("--schedule=") else arg for arg in argv]
        commands[name.strip()] = argv
    assert set(commands) <= {"worker", "beat"} and "worker" in commands, commands
    return commands


def bare_machine_env(tmp_path, database) -> dict:
    return worker_env(
        DATABASE_URL=f"sqlite:///{database}",
        # As on a bare machine, whatever this shell or .env says.
        REDIS_URL="",
        CELERY_BROKER_URL="filesystem://",
        CELERY_BROKER_FOLDER=tmp_path / "broker",
        CELERY_TASK_DEFAULT_QUEUE="celery",
        EMAIL_URL="consolemail://",
        REMINDER_DISPATCH_INTERVAL=1,
    )


def manage(env, *args) -> str:
    done = subprocess.run([*CELERY[:1], "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory):
    """`manage.py migrate` on a fresh SQLite file, once; each test works on a copy."""
    folder = tmp_path_factory.mktemp("make-run")
    database = folder / "portal.sqlite3"
    manage(bare_machine_env(folder, database), "migrate", "--no-input")
    return database


def sqlite_row(path, pk):
    with sqlite3.connect(path, timeout=5) as db:
        return db.execute("SELECT status, attempts, message_id FROM meetings_reminder WHERE id = ?", [pk]).fetchone()


@pytest.mark.parametrize("layout", ["embedded-beat", "procfile"])
def test_it_delivers_a_due_reminder_with_the_worker_and_beat_of_make_run(layout, tmp_path, migrated_database):
    database = tmp_path / "portal.sqlite3"
    shutil.copyfile(migrated_database, database)
    schedule = str(tmp_path / "celerybeat-schedule")
    env = bare_machine_env(tmp_path, database)
    output = manage(env, "shell", "-c", "import json; from tests.integration.helpers import seed_due_reminder; "
                                   "print(json.dumps(seed_due_reminder()))")
    seeded = json.loads(output.strip().splitlines()[-1])
    assert sqlite_row(database, seeded["id"])[0] == "scheduled"

    if layout == "embedded-beat":
        commands = {"worker": [*CELERY, "-A", "portal", "worker", "-B", f"--schedule={schedule}",
                               "--loglevel=INFO", "--concurrency=1"]}
    else:
        commands = procfile_commands(schedule)
    processes = [Worker(name=name, env=env, log_path=tmp_path / f"{name}.log", command=command)
                 for name, command in commands.items()]
    try:
        def delivered():
            for process in processes:
                assert process.alive(), f"{process.name} exited:\n{process.log()[-4000:]}"
            return sqlite_row(database, seeded["id"])[0] == "sent"

        wait_until(delivered, timeout=TIMEOUT, what="the reminder to be sent", interval=0.2)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.stop()

    status, attempts, message_id = sqlite_row(database, seeded["id"])
    assert (status, attempts, message_id) == ("sent", 1, seeded["message_id"])
    # The console backend printed the message in the worker's output.
    logs = "\n".join(process.log() for process in processes)
    assert f"Message-ID: {seeded['message_id']}" in logs
    assert f"To: {seeded['to']}" in logs

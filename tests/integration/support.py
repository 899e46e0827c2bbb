"""The pieces the reminder integration tests and the benchmark run: an SMTP sink, workers, a broker client."""

import asyncio
import contextlib
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

BASE_DIR = Path(__file__).resolve().parents[2]

# The workers' reminder settings: retries a second apart, and a row "sending"
# for 2 s counts as stuck (the tests send the sweeper themselves, once the rows
# of a dead worker or a lost batch are that old and nothing else is in flight).
SENDING_TIMEOUT = 2
WORKER_ENV = {
    "REMINDER_RETRY_DELAYS": "1,1,2,5,10",
    "REMINDER_SENDING_TIMEOUT": str(SENDING_TIMEOUT),
}


# --- waiting ----------------------------------------------------------------------------------


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.05, tick=None):
    """Poll ``predicate`` until it is true; fail after ``timeout`` seconds saying ``what`` was awaited.

    ``tick`` is called between polls at most every half second (the tests' beat).
    """
    deadline = time.monotonic() + timeout
    last_tick = 0.0
    while True:
        result = predicate()
        if result:
            return result
        now = time.monotonic()
        if now > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}", pytrace=False)
        if tick is not None and now - last_tick >= 0.5:
            tick()
            last_tick = now
        time.sleep(interval)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the SMTP server --------------------------------------------------------------------------


class SmtpSink:
    """An aiosmtpd server on loopback that keeps what it accepts.

    ``delay`` slows every DATA answer (a slow server makes "the middle of a
    batch" last); ``refuse`` maps an address to the reply its RCPT gets (e.g.
    "550 5.1.1 ..."); ``refuse_all`` answers every RCPT with a reply;
    ``stop()`` and ``start()`` take the server down and bring it back on the
    same port.
    """

    def __init__(self):
        self.port = free_port()
        self.delay = 0.0
        self.refuse: dict[str, str] = {}
        self.refuse_all: str | None = None
        self.rcpt_attempts: Counter = Counter()
        self._peers: set = set()
        self._messages: list[tuple[list[str], bytes]] = []
        self._lock = threading.Lock()
        self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        if self._controller is None:
            self._controller = Controller(self, hostname="127.0.0.1", port=self.port, ready_timeout=10)
            self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self._lock:
            self.rcpt_attempts[address] += 1
            self._peers.add(session.peer)
        reply = self.refuse.get(address) or self.refuse_all
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self._messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"

    # what arrived
    def count(self) -> int:
        with self._lock:
            return len(self._messages)

    def messages(self) -> list[tuple[list[str], email.message.EmailMessage]]:
        with self._lock:
            raw = list(self._messages)
        return [(rcpts, email.message_from_bytes(data, policy=email.policy.default)) for rcpts, data in raw]

    def connections(self) -> int:
        """How many SMTP connections asked to deliver something."""
        with self._lock:
            return len(self._peers)

    def message_ids(self) -> Counter:
        return Counter(message["Message-ID"] for _rcpts, message in self.messages())


class Broker:
    """This process's side of the broker: sends tasks by name to the test's queue."""

    def __init__(self, url: str, queue: str):
        from celery import Celery

        self.queue = queue
        self.app = Celery("integration-client", broker=url, set_as_current=False)
        self.app.conf.update(
            task_default_queue=queue, task_serializer="json", accept_content=["json"],
            broker_connection_retry_on_startup=True,
        )

    def send(self, name: str, *args):
        self.app.send_task(name, args=list(args), queue=self.queue)

    def dispatch(self):
        self.send("meetings.tasks.dispatch_due_reminders")

    def sweep(self):
        self.send("meetings.tasks.sweep_stuck_reminders")

    def close(self):
        self.app.close()


# --- workers ------------------------------------------------------------------------------------


CELERY = [sys.executable, "-m", "celery"]


class Worker:
    """A Celery subprocess (``celery -A portal worker ...`` by default) in a process group of its own.

    Its output goes to ``log_path``.
    """

    def __init__(self, *, name: str, env: dict, log_path: Path, args: list[str] = (), command: list[str] = None,
                 cwd: Path = BASE_DIR):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        command = command or [*CELERY, "-A", "portal", "worker", *args]
        self.proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, timeout: float = 60):
        def ready():
            if not self.alive():
                pytest.fail(f"worker {self.name} exited with {self.proc.returncode}:\n{self.log()[-4000:]}",
                            pytrace=False)
            return " ready." in self.log()

        wait_until(ready, timeout=timeout, what=f"worker {self.name} to be ready", interval=0.1)
        return self

    def tasks_in_hand(self) -> int:
        """Tasks received (reserved or running) and not finished yet, from the worker's INFO log."""
        log = self.log()
        finished = sum(log.count(f"] {outcome}") for outcome in ("succeeded in ", "raised ", "retry: ", "ignored"))
        return log.count("] received") - finished

    def processes(self) -> list[int]:
        """The main process and its pool children."""
        pids = [self.pid]
        for status in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = status.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.pid:  # ppid
                    pids.append(int(status.parent.name))
        return pids

    def peak_memory_kib(self) -> dict[int, int]:
        """VmHWM (peak resident set) of each of the worker's processes, in KiB."""
        peaks = {}
        for pid in self.processes():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks[pid] = int(line.split()[1])
        return peaks

    def kill(self):
        """SIGKILL the whole group at once: the machine dies, nothing is acknowledged or cleaned up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self):
        if self.alive():
            self.proc.terminate()

    def stop(self, timeout: float = 15):
        """Warm shutdown (SIGTERM), then SIGKILL for whatever is left of the group."""
        self.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self._log.close()


def worker_env(**overrides) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "COV_"))}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "PYTHONUNBUFFERED": "1"})
    env.update({key: str(value) for key, value in overrides.items()})
    return env



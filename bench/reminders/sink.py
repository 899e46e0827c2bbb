"""The benchmark's SMTP server: accepts every message and keeps it, with the time it arrived.

Run by run.py as a process of its own, so that the server does not share an
interpreter (and its lock) with what it measures. Each message is appended to
``--out`` as a header line ``<unix time> <size> <mail from> <rcpt,...>`` and
then its bytes.
"""

import argparse
import signal
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Keep:
    def __init__(self, path):
        self.file = open(path, "ab", buffering=1024 * 1024)  # noqa: SIM115 - closed at exit

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        header = f"{time.time():.6f} {len(data)} {envelope.mail_from} {','.join(envelope.rcpt_tos)}\n"
        self.file.write(header.encode())
        self.file.write(data)
        self.file.flush()
        return "250 Message accepted for delivery"


class Tail:
    """Counts the messages in a sink file as it grows, reading each byte once."""

    def __init__(self, path):
        self.path, self.offset, self.count = path, 0, 0

    def poll(self) -> int:
        try:
            file = open(self.path, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            return self.count
        with file:
            file.seek(self.offset)
            while True:
                header = file.readline()
                if not header.endswith(b"\n"):
                    break  # nothing more, or a record still being written
                size = int(header.split(b" ", 2)[1])
                if len(file.read(size)) < size:
                    break
                self.offset = file.tell()
                self.count += 1
        return self.count


def read_messages(path):
    """[(arrived, mail_from, rcpt_tos, data)] from a file written by this sink."""
    messages = []
    with open(path, "rb") as file:
        while header := file.readline():
            arrived, size, mail_from, rcpts = header.decode().rstrip("\n").split(" ", 3)
            messages.append((float(arrived), mail_from, rcpts.split(","), file.read(int(size))))
    return messages


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    handler = Keep(args.out)
    controller = Controller(handler, hostname="127.0.0.1", port=args.port, data_size_limit=0)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    handler.file.close()
    sys.exit(0)


if __name__ == "__main__":
    main()

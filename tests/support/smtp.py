"""An SMTP server on loopback (aiosmtpd) that records every message it accepts.

It can be told to refuse connections (simply not listening: `stop()`, or never `start()`),
to answer a recipient with a 4xx/5xx reply, to answer DATA with one, and to be slow.
"""

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


class RecordingSMTPServer:
    """`start()` listens on `host:port`; until then (and after `stop()`) connections are
    refused. Messages accepted are in `received`, in arrival order."""

    def __init__(self, *, host: str = "127.0.0.1", port: int | None = None):
        self.host = host
        self.port = port or free_port()
        # address (lower case) → SMTP reply to its RCPT TO, e.g. "550 5.1.1 No such user".
        self.recipient_replies: dict[str, str] = {}
        # A reply to DATA instead of accepting, e.g. "451 4.3.0 Try again later".
        self.data_reply: str | None = None
        # Seconds the server takes to answer each DATA.
        self.delay: float = 0.0
        # Scripted answers to the next DATA commands, in order, before the settings above
        # apply again: (seconds to stall, or an Event to wait for; reply, or None to accept).
        self.next_data: list[tuple[float | threading.Event, str | None]] = []
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self._stalled: list[threading.Event] = []
        self._waiting = 0

    # Lifecycle

    @property
    def listening(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            controller = Controller(self, hostname=self.host, port=self.port, ready_timeout=10)
            controller.start()
            self._controller = controller

    def stop(self) -> None:
        for stall in self._stalled:
            stall.set()  # let no handler wait past the server's life
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    # What arrived

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def count(self) -> int:
        with self._lock:
            return len(self._received)

    def message_ids(self) -> Counter:
        return Counter(r.message_id for r in self.received)

    @property
    def waiting(self) -> int:
        """DATA commands now held by an Event of `next_data` (the message has arrived whole,
        the sender waits for the reply)."""
        with self._lock:
            return self._waiting

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address.lower() in (a.lower() for a in r.rcpt_tos)]

    def wait_for(self, count: int, *, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while self.count() < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"SMTP server got {self.count()} messages within {timeout}s, expected {count}"
                )
            time.sleep(0.05)
        return self.received

    # aiosmtpd handler hooks (run in the server's event loop thread)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.recipient_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            stall, reply = (
                self.next_data.pop(0) if self.next_data else (self.delay, self.data_reply)
            )
        if isinstance(stall, threading.Event):
            self._stalled.append(stall)
            with self._lock:
                self._waiting += 1
            try:
                await asyncio.get_running_loop().run_in_executor(None, stall.wait, 60)
            finally:
                with self._lock:
                    self._waiting -= 1
        elif stall:
            await asyncio.sleep(stall)
        if reply:
            return reply
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._lock:
            self._received.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    message=message,
                )
            )
        return "250 Message accepted for delivery"

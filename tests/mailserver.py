"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the distribution tests, with faults to order:
recipients it refuses (5xx), fails for a while (4xx), or drops the connection on."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Recorder:
    """The server's behaviour and everything it accepted."""

    received: list[tuple[list[str], bytes]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    temporary: dict[str, int] = field(default_factory=dict)
    drop: dict[str, int] = field(default_factory=dict)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.drop.get(address, 0) > 0:
            self.drop[address] -= 1
            server.transport.close()
            return "421 4.4.2 closing"
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        if self.temporary.get(address, 0) > 0:
            self.temporary[address] -= 1
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 2.0.0 queued"

    def messages(self) -> list[EmailMessage]:
        """Every accepted message, parsed."""
        return [message_from_bytes(data, policy=policy.default) for _, data in self.received]  # type: ignore[misc]

    def count_by_recipient(self) -> dict[str, int]:
        """How many messages each address was sent."""
        counts: dict[str, int] = {}
        for rcpts, _ in self.received:
            for r in rcpts:
                counts[r] = counts.get(r, 0) + 1
        return counts


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serving() -> Iterator[tuple[Recorder, int]]:
    """Run a server for the duration of a fixture."""
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()

"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the distribution tests, with faults to order:
recipients it refuses (5xx), fails for a while (4xx), or drops the connection on; replies of any
kind to the greeting, EHLO, MAIL and the final dot; a connection closed after the data; AUTH
offered on a plain connection."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

CLOSE = "CLOSE"  # in `after_dot`: hang up after reading the message, without a reply


@dataclass
class Recorder:
    """The server's behaviour and everything it accepted."""

    received: list[tuple[list[str], bytes]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    temporary: dict[str, int] = field(default_factory=dict)
    drop: dict[str, int] = field(default_factory=dict)
    # Every message read to its final dot, whatever the reply to it was.
    read: list[tuple[list[str], bytes]] = field(default_factory=list)
    # Replies to the final dot, one per message read (then "250 2.0.0 queued"); CLOSE hangs up.
    after_dot: list[str] = field(default_factory=list)
    greeting: str | None = None  # the reply to a new connection, instead of 220
    ehlo: str | None = None  # the reply to EHLO and HELO, instead of 250
    mail: str | None = None  # the reply to MAIL FROM, instead of 250
    logins: list[tuple[str, bytes]] = field(default_factory=list)  # (mechanism, what the client sent)
    gone_after: int | None = None  # after this many messages: hang up at the next MAIL, refuse new sessions

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        if self.ehlo is not None:
            return [self.ehlo]
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server: Any, session: Any, envelope: Any, hostname: str) -> str:
        if self.ehlo is not None:
            return self.ehlo
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.gone_after is not None and len(self.read) >= self.gone_after:
            server.transport.close()
            return "421 4.3.2 going away"
        if self.mail is not None:
            return self.mail
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

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
        message = (list(envelope.rcpt_tos), bytes(envelope.original_content))
        self.read.append(message)
        if self.gone_after is not None and len(self.read) >= self.gone_after:
            self.greeting = "554 5.3.2 no service"
        reply = self.after_dot.pop(0) if self.after_dot else "250 2.0.0 queued"
        if reply == CLOSE:
            server.transport.close()
            return "250 2.0.0 never sent"
        if reply.startswith("2"):
            self.received.append(message)
        return reply

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        """Every login succeeds; what was sent is kept (the password, on a plain connection)."""
        self.logins.append((mechanism, bytes(getattr(data, "password", b"") or b"")))
        return AuthResult(success=True)

    def messages(self) -> list[EmailMessage]:
        """Every accepted message, parsed."""
        return [message_from_bytes(data, policy=policy.default) for _, data in self.received]  # type: ignore[misc]

    def count_by_recipient(self, messages: list[tuple[list[str], bytes]] | None = None) -> dict[str, int]:
        """How many messages each address was sent (accepted ones, unless *messages* is given)."""
        counts: dict[str, int] = {}
        for rcpts, _ in self.received if messages is None else messages:
            for r in rcpts:
                counts[r] = counts.get(r, 0) + 1
        return counts


class _SMTP(SMTP):
    """aiosmtpd's server, with the greeting the recorder asks for."""

    greeted = False

    async def push(self, status: Any) -> None:
        greeting = getattr(self.event_handler, "greeting", None)
        if not self.greeted and greeting is not None:
            status = greeting
        self.greeted = True
        await super().push(status)


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _SMTP(self.handler, **self.SMTP_kwargs)


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serving(auth: bool = False) -> Iterator[tuple[Recorder, int]]:
    """Run a server for the duration of a fixture (offering AUTH on a plain connection with *auth*)."""
    recorder = Recorder()
    port = free_port()
    options: dict[str, Any] = {"authenticator": recorder.authenticate, "auth_require_tls": False} if auth else {}
    controller = _Controller(recorder, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()

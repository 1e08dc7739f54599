"""Handing one message at a time to an SMTP server. smtplib is imported here and nowhere else.

The envelope is sent step by step (MAIL, RCPT, DATA) so that each failure is known for what
it is: a refusal (5xx) is final; a temporary failure (4xx), or a connection lost before the
message was sent, means the server does not have it and it may be sent again; a connection
lost while the message itself was being sent leaves it unknown (the server may have it).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from typing import Literal

from brief.errors import BriefError

Security = Literal["none", "starttls", "ssl"]
Verdict = Literal["accepted", "refused", "temporary", "unknown"]


class SmtpError(BriefError):
    """The server cannot be reached or refuses to log in."""


@dataclass(frozen=True)
class Server:
    """Where and how to connect; the password comes from the environment or a keyring."""

    host: str
    port: int
    security: Security = "none"
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class Outcome:
    """What the server said about one message."""

    verdict: Verdict
    reply: str


def _reply(code: int, text: bytes | str) -> str:
    shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {shown}".strip()


def _judged(code: int, text: bytes | str) -> Outcome:
    return Outcome("refused" if code >= 500 else "temporary", _reply(code, text))


def _final(code: int, text: bytes | str) -> Outcome:
    """The reply by its class: 2xx accepted, 4xx not taken (may be sent again), 5xx refused; any
    other reply (no code, garbage, 1xx, 3xx) says nothing about the message: unknown."""
    verdicts: dict[int, Verdict] = {2: "accepted", 4: "temporary", 5: "refused"}
    return Outcome(verdicts.get(code // 100, "unknown") if 100 <= code <= 599 else "unknown", _reply(code, text))


class Connection:
    """One SMTP session, opened when first needed and again after the server drops it."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.server
        try:
            if s.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo_or_helo_if_needed()
            if s.user:
                smtp.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise SmtpError(
                f"{s.host} refused the login: {_reply(exc.smtp_code, exc.smtp_error)}",
                hint="check --user and BRIEF_SMTP_PASSWORD",
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SmtpError(
                f"cannot connect to {s.host}:{s.port} ({exc})", hint="check --smtp and the network"
            ) from None
        return smtp

    def send(self, sender: str, recipient: str, message: bytes) -> Outcome:
        """Offer *message* for *recipient*; what the server said."""
        try:
            self.smtp = self.smtp or self._open()
            code, text = self.smtp.mail(sender)
            if code != 250:
                self._reset()
                return _judged(code, text)
            code, text = self.smtp.rcpt(recipient)
            if code not in (250, 251):
                self._reset()
                return _judged(code, text)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.close()
            return Outcome("temporary", f"connection lost before the message was sent ({exc})")
        try:
            code, text = self.smtp.data(message)
        except smtplib.SMTPDataError as exc:
            self._reset()
            return _judged(exc.smtp_code, exc.smtp_error)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.close()
            return Outcome("unknown", f"connection lost while the message was sent ({exc})")
        # The reply to the final dot is the server's word on the message: content filters, size
        # limits and virus scanners refuse here, and a 4xx means it has not taken the message.
        outcome = _final(code, text)
        if outcome.verdict == "unknown" or code == 421:
            self.close()  # the session is in no known state (or the server is closing it)
        return outcome

    def _reset(self) -> None:
        try:
            if self.smtp is not None:
                self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        """End the session (politely if the server is still there)."""
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


def password(environ: dict[str, str], user: str | None, host: str) -> str | None:
    """The SMTP password: ``BRIEF_SMTP_PASSWORD``, else the system keyring's entry for
    ``brief-smtp:HOST`` and the user (when the keyring package is installed); never a file."""
    if environ.get("BRIEF_SMTP_PASSWORD"):
        return environ["BRIEF_SMTP_PASSWORD"]
    if user is None:
        return None
    try:
        import keyring  # type: ignore[import-not-found]
    except ImportError:
        return None
    found = keyring.get_password(f"brief-smtp:{host}", user)
    return str(found) if found is not None else None


def server_from(spec: str, security: Security, user: str | None, environ: dict[str, str]) -> Server:
    """``HOST[:PORT]`` and the options as a :class:`Server` (port 465 with SSL, 587 with STARTTLS, else 25)."""
    host, _, port = spec.rpartition(":") if ":" in spec else (spec, "", "")
    default = {"ssl": 465, "starttls": 587}.get(security, 25)
    if port and not port.isdigit():
        raise SmtpError(f"{spec!r} is not HOST[:PORT]", hint="e.g. --smtp mail.example.org:587")
    return Server(host, int(port) if port else default, security, user, password(environ, user, host))

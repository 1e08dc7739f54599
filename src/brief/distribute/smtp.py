"""Handing one message at a time to an SMTP server. smtplib is imported here and nowhere else.

Every reply is judged by its class, wherever it comes: 2xx goes on, 4xx means the server
takes nothing for now (the message may be sent again), 5xx is final. What fails before the
envelope is accepted concerns the session, not a recipient: a connection, greeting, TLS or
login that fails, or a sender the server refuses, is an :class:`SmtpError` and no message was
handed over. Only once MAIL and RCPT are accepted is the caller asked to claim the message
(the ledger's ``sending``) before its data goes out; a connection lost, or a reply without a
class, from then until the reply to the final dot leaves it unknown (the server may have it).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from brief.errors import BriefError, UsageError

Security = Literal["none", "starttls", "ssl"]
Verdict = Literal["accepted", "refused", "temporary", "unknown", "skipped"]


class SmtpError(BriefError):
    """The server cannot be reached or spoken to, or refuses the session (TLS, the login, the
    sender): no message was handed over."""


_PLAIN = "will not send the password of {user!r} to {where} unencrypted (--user without --starttls or --ssl)"
_PLAIN_HINT = "add --starttls or --ssl, or --allow-plain-auth on a network you trust"
_CERT = "check --smtp and the server's certificate"


class _NotNow(Exception):
    """A 4xx while the session is opened or the sender given: the server takes nothing for now."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass(frozen=True)
class Server:
    """Where and how to connect; the password comes from the environment or a keyring."""

    host: str
    port: int
    security: Security = "none"
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0
    allow_plain_auth: bool = False  # log in on a connection that is not encrypted


@dataclass(frozen=True)
class Outcome:
    """What the server said about one message; ``handed`` when its data was being handed over
    (the message was claimed), ``session`` when a 4xx concerned the session, not the recipient."""

    verdict: Verdict
    reply: str
    handed: bool = False
    session: bool = False


def _reply(code: int, text: bytes | str) -> str:
    shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {shown}".strip()


def _class(code: int) -> int:
    """2, 4 or 5 for a reply of that class; 0 for anything else (no code, garbage, 1xx, 3xx)."""
    return code // 100 if 200 <= code <= 599 and code // 100 != 3 else 0


def _final(code: int, text: bytes | str) -> Outcome:
    """The reply by its class: 2xx accepted, 4xx not taken (may be sent again), 5xx refused; any
    other reply (no code, garbage, 1xx, 3xx) says nothing about the message: unknown."""
    verdicts: dict[int, Verdict] = {2: "accepted", 4: "temporary", 5: "refused"}
    return Outcome(verdicts.get(_class(code), "unknown"), _reply(code, text), handed=True)


def _quoted(message: bytes) -> bytes:
    """The message as the DATA phase carries it: leading dots doubled, ended by CRLF.CRLF."""
    data = re.sub(rb"(?m)^\.", b"..", message)
    return data + (b"" if data.endswith(b"\r\n") else b"\r\n") + b".\r\n"


class Connection:
    """One SMTP session, opened when first needed and again after the server drops it."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.server
        where = f"{s.host}:{s.port}"
        if s.user and s.security == "none" and not s.allow_plain_auth:
            raise SmtpError(_PLAIN.format(user=s.user, where=where), hint=_PLAIN_HINT)
        context = ssl.create_default_context()
        try:
            if s.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        except smtplib.SMTPConnectError as exc:  # the greeting was not 220
            reply = _reply(exc.smtp_code, exc.smtp_error)
            if _class(exc.smtp_code) == 4:
                raise _NotNow(reply) from None
            raise SmtpError(f"{where} did not greet as a mail server ({reply!r})", hint="check --smtp") from None
        except ssl.SSLError as exc:
            raise SmtpError(f"TLS with {where} failed ({exc})", hint=_CERT) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SmtpError(f"cannot connect to {where} ({exc})", hint="check --smtp and the network") from None
        try:
            self._session(smtp, where, context)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _session(self, smtp: smtplib.SMTP, where: str, context: ssl.SSLContext) -> None:
        """EHLO, STARTTLS and the login on a greeted connection."""
        s = self.server
        step = "EHLO"
        try:
            smtp.ehlo_or_helo_if_needed()
            if s.security == "starttls":
                step = "STARTTLS"
                if not smtp.has_extn("starttls"):
                    raise SmtpError(f"{where} does not offer STARTTLS", hint="check --smtp, or use --ssl")
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.user:
                step = "the login"
                if not smtp.has_extn("auth"):
                    raise SmtpError(f"{where} offers no login (AUTH)", hint="leave out --user, or check --smtp")
                smtp.login(s.user, s.password or "")
        except smtplib.SMTPResponseException as exc:
            reply = _reply(exc.smtp_code, exc.smtp_error)
            if _class(exc.smtp_code) == 4:
                raise _NotNow(reply) from None
            hint = "check --user and BRIEF_SMTP_PASSWORD" if s.user and step == "the login" else "check --smtp"
            raise SmtpError(f"{where} refused {step}: {reply}", hint=hint) from None
        except ssl.SSLError as exc:
            raise SmtpError(f"TLS with {where} failed ({exc})", hint=_CERT) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SmtpError(f"{where} failed at {step} ({exc})", hint="check --smtp and the network") from None

    def send(self, sender: str, recipient: str, message: bytes, claim: Callable[[], bool]) -> Outcome:
        """Offer *message* for *recipient*: what the server said. *claim* is called once the
        envelope is accepted, before the data is handed over; when it returns False nothing is
        sent (another run has the message). Raises :class:`SmtpError` when the session cannot be
        had (nothing was handed over)."""
        try:
            self.smtp = self.smtp or self._open()
            code, text = self.smtp.mail(sender)
            if _class(code) == 4:
                raise _NotNow(_reply(code, text))
            if _class(code) != 2:
                where = f"{self.server.host}:{self.server.port}"
                self.close()
                raise SmtpError(f"{where} refused the sender {sender}: {_reply(code, text)}", hint="check --from")
            code, text = self.smtp.rcpt(recipient)
        except _NotNow as exc:
            self.close()
            return Outcome("temporary", exc.reply, session=True)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.close()
            return Outcome("temporary", f"connection lost before the message was sent ({exc})")
        if _class(code) != 2:
            self._reset()
            return Outcome("refused" if _class(code) == 5 else "temporary", _reply(code, text))
        if not claim():
            self._reset()
            return Outcome("skipped", "another run has this message")
        return self._data(message)

    def _data(self, message: bytes) -> Outcome:
        """DATA, the message and the final dot, on an accepted envelope."""
        assert self.smtp is not None
        try:
            code, text = self.smtp.docmd("DATA")
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.close()
            return Outcome("temporary", f"connection lost before the message was sent ({exc})", handed=True)
        if code != 354:
            self._reset()
            refused = _class(code) == 5
            return Outcome("refused" if refused else "temporary", _reply(code, text), handed=True)
        try:
            self.smtp.send(_quoted(message))
            code, text = self.smtp.getreply()
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.close()
            return Outcome("unknown", f"connection lost while the message was sent ({exc})", handed=True)
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


def server_from(
    spec: str, security: Security, user: str | None, environ: dict[str, str], allow_plain_auth: bool = False
) -> Server:
    """``HOST[:PORT]`` and the options as a :class:`Server` (port 465 with SSL, 587 with STARTTLS,
    else 25). A login on a connection that is not encrypted is refused unless *allow_plain_auth*."""
    host, _, port = spec.rpartition(":") if ":" in spec else (spec, "", "")
    default = {"ssl": 465, "starttls": 587}.get(security, 25)
    if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise SmtpError(f"{spec!r} is not HOST[:PORT]", hint="e.g. --smtp mail.example.org:587")
    port_no = int(port) if port else default
    if user and security == "none" and not allow_plain_auth:
        raise UsageError(_PLAIN.format(user=user, where=f"{host}:{port_no}"), hint=_PLAIN_HINT)
    return Server(host, port_no, security, user, password(environ, user, host), allow_plain_auth=allow_plain_auth)

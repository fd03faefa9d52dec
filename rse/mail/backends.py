"""Mail backends: SMTP (production) and .eml files in a folder (embedded default).

A send is in two steps around the one moment that decides delivery, the last line of the message
(SMTP's end of data; for a folder, the rename of the finished file). `send(message, before_end)`
calls `before_end(end)` once the whole message but that last line is with the server: the caller
records there, durably, that the message is leaving, and calls `end()` to send the last line as
close to that record's commit as can be (`rse.database.commit_then`). So a sender that dies
before its record leaves nothing behind on the server (a server drops a message whose end of data
never came), and one that dies after it has recorded the send. `before_end` answering False
(someone else sends it) abandons the message: the connection is closed mid-message, which the
server drops.
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from .mime import RawMessage


class PermanentMailError(Exception):
    """The server refused the message for good (a 5xx answer, an unknown address)."""


class MessageAbandoned(Exception):
    """`before_end` said not to finish the message: nothing was delivered, and the connection is
    closed (a server cannot be stopped in the middle of a message otherwise): open a new one."""


class NoAnswer(Exception):
    """The whole message went, last line included, and the server did not answer in time: it may
    have taken it. Never sent again automatically; the connection is closed."""


BeforeEnd = Callable[[Callable[[], None]], bool] | None  # before_end(end) -> go on


class MailBackend(Protocol):
    def connection(self) -> AbstractContextManager[MailConnection]: ...

    def check(self) -> None:
        """Raise unless messages could be handed over now (the health check)."""


class MailConnection(Protocol):
    def send(self, message: EmailMessage | RawMessage, before_end: BeforeEnd = None) -> None: ...


class FileBackend:
    """Writes each message as an .eml file, atomically (a reader never sees half a file)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    @contextmanager
    def connection(self) -> Iterator[FileBackend]:
        self.folder.mkdir(parents=True, exist_ok=True)
        yield self

    def check(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if not os.access(self.folder, os.W_OK):
            raise OSError(f"mail folder {self.folder} is not writable")

    def send(self, message: EmailMessage | RawMessage, before_end: BeforeEnd = None) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
        with os.fdopen(fd, "wb") as handle:
            if isinstance(message, RawMessage):
                handle.write(message.data)
            else:
                handle.write(message.as_bytes(policy=SMTP))  # CRLF, as on the wire
        msg_id = message.message_id if isinstance(message, RawMessage) else message["Message-ID"]
        msg_id = (msg_id or "").strip("<>").replace("/", "_") or Path(tmp).stem
        target = self.folder / f"{msg_id}.eml"
        ended = False

        def end() -> None:
            nonlocal ended
            os.replace(tmp, target)  # the last line: the file is delivered whole
            ended = True

        try:
            go_on = before_end(end) if before_end is not None else True
        except BaseException:
            if not ended:
                os.unlink(tmp)
            raise
        if not go_on:
            os.unlink(tmp)
            raise MessageAbandoned(msg_id)
        if not ended:
            end()


class SmtpBackend:
    """One SMTP connection per batch of messages."""

    def __init__(self, host: str, port: int, *, username: str = "", password: str = "",
                 implicit_tls: bool = False, starttls: bool = False, timeout: float = 15.0):
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.implicit_tls, self.starttls, self.timeout = implicit_tls, starttls, timeout

    def check(self, timeout: float = 2.0) -> None:
        """The server greets and answers NOOP: the cheapest proof it would take a message (no TLS, no login)."""
        client = (smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=ssl.create_default_context())
                  if self.implicit_tls else smtplib.SMTP(self.host, self.port, timeout=timeout))
        try:
            code, answer = client.noop()
            if code != 250:
                raise smtplib.SMTPResponseException(code, answer)
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()

    @contextmanager
    def connection(self) -> Iterator[_SmtpConnection]:
        client: smtplib.SMTP
        if self.implicit_tls:
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        # The last line goes in a write of its own, after the record of the send: without this, it
        # waits for the server to acknowledge the message's body (up to 40 ms, a message).
        if client.sock is not None:
            client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            if self.starttls:
                client.starttls(context=ssl.create_default_context())
            if self.username:
                client.login(self.username, self.password)
            yield _SmtpConnection(client)
        finally:
            try:
                client.quit()
            except smtplib.SMTPException:
                client.close()


class _SmtpConnection:
    def __init__(self, client: smtplib.SMTP):
        self.client = client

    def send(self, message: EmailMessage | RawMessage, before_end: BeforeEnd = None) -> None:
        if not isinstance(message, RawMessage):
            message = RawMessage(sender=parseaddr(message["From"] or "")[1],
                                 recipients=tuple(a for _n, a in getaddresses(
                                     message.get_all("To", []) + message.get_all("Cc", []))),
                                 data=message.as_bytes(policy=SMTP), message_id=message["Message-ID"] or "")
        try:
            refused = self._transaction(message, before_end)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentMailError(_describe(exc.recipients)) from exc
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentMailError(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise
        if refused:
            raise PermanentMailError(_describe(refused))

    def _transaction(self, message: RawMessage, before_end: BeforeEnd) -> dict:
        """`smtplib.SMTP.sendmail` with its end of data held back for `before_end`; the recipients
        refused (when others were accepted)."""
        client = self.client
        client.ehlo_or_helo_if_needed()
        options = [f"SIZE={len(message.data)}"] if client.does_esmtp and client.has_extn("size") else []
        code, answer = client.mail(message.sender, options)
        if code != 250:
            self._reset(code)
            raise smtplib.SMTPSenderRefused(code, answer, message.sender)
        refused = {}
        for recipient in message.recipients:
            code, answer = client.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, answer)
            if code == 421:
                client.close()
                raise smtplib.SMTPRecipientsRefused(refused)
        if len(refused) == len(message.recipients):
            self._reset(code)
            raise smtplib.SMTPRecipientsRefused(refused)
        client.putcmd("data")
        code, answer = client.getreply()
        if code != 354:
            self._reset(code)
            raise smtplib.SMTPDataError(code, answer)
        body = _DOT_AT_LINE_START.sub(b"..", message.data)
        client.send(body if body.endswith(b"\r\n") else body + b"\r\n")
        ended = False

        sendall = client.sock.sendall if client.sock is not None else client.send

        def end() -> None:  # a bare write: the fewer instructions between the record and it, the better
            nonlocal ended
            sendall(b".\r\n")
            ended = True

        if before_end is not None:
            try:
                go_on = before_end(end)
            except BaseException:  # no record (the database is down), or the last line failed: not sent
                client.close()
                raise
            if not go_on:
                client.close()
                raise MessageAbandoned(message.message_id)
        if not ended:
            end()
        try:
            code, answer = client.getreply()
        except smtplib.SMTPServerDisconnected as exc:
            if isinstance(exc.__context__, TimeoutError):
                raise NoAnswer(f"no answer after the end of the message: {exc}") from exc
            raise  # closed without an answer: a server answers once it has the message, it did not take it
        if code != 250:
            self._reset(code)
            raise smtplib.SMTPDataError(code, answer)
        return refused

    def _reset(self, code: int) -> None:
        if code == 421:  # the server is closing the connection
            self.client.close()
            return
        try:
            self.client.rset()
        except smtplib.SMTPServerDisconnected:
            pass


_DOT_AT_LINE_START = re.compile(rb"(?m)^\.")


def _describe(refused: dict) -> str:
    return "; ".join(f"{addr}: {code} {msg!r}" for addr, (code, msg) in refused.items())


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0
    if not 0 < seconds <= 600:
        raise ValueError(f"RSE_MAIL_URL: timeout={value!r} is not a number of seconds between 0 and 600")
    return seconds


def backend_from_url(url: str) -> MailBackend:
    """`file:///path/outbox`, `smtp://user:pass@host:port?starttls=1&timeout=15` or `smtps://…`
    (`timeout`: seconds to wait for each answer of the server, 15 by default)."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileBackend(unquote(parts.path))
    if parts.scheme in {"smtp", "smtps"}:
        query = parse_qs(parts.query)
        return SmtpBackend(
            parts.hostname or "127.0.0.1",
            parts.port or (465 if parts.scheme == "smtps" else 25),
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            implicit_tls=parts.scheme == "smtps",
            starttls=query.get("starttls", ["0"])[0] in {"1", "true", "yes"},
            timeout=_seconds(query.get("timeout", ["15"])[0]),
        )
    raise ValueError(f"RSE_MAIL_URL: unknown scheme {parts.scheme!r} (file, smtp or smtps)")

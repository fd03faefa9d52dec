"""Mail backends: SMTP (production) and .eml files in a folder (embedded default)."""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from .mime import RawMessage


class PermanentMailError(Exception):
    """The server refused the message for good (a 5xx answer, an unknown address)."""


class MailBackend(Protocol):
    def connection(self) -> AbstractContextManager[MailConnection]: ...

    def check(self) -> None:
        """Raise unless messages could be handed over now (the health check)."""


class MailConnection(Protocol):
    def send(self, message: EmailMessage | RawMessage) -> None: ...


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

    def send(self, message: EmailMessage | RawMessage) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
        with os.fdopen(fd, "wb") as handle:
            if isinstance(message, RawMessage):
                handle.write(message.data)
            else:
                handle.write(message.as_bytes(policy=SMTP))  # CRLF, as on the wire
        msg_id = message.message_id if isinstance(message, RawMessage) else message["Message-ID"]
        msg_id = (msg_id or "").strip("<>").replace("/", "_") or Path(tmp).stem
        os.replace(tmp, self.folder / f"{msg_id}.eml")


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

    def send(self, message: EmailMessage | RawMessage) -> None:
        try:
            if isinstance(message, RawMessage):
                refused = self.client.sendmail(message.sender, list(message.recipients), message.data)
            else:
                refused = self.client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentMailError(_describe(exc.recipients)) from exc
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentMailError(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise
        if refused:
            raise PermanentMailError(_describe(refused))


def _describe(refused: dict) -> str:
    return "; ".join(f"{addr}: {code} {msg!r}" for addr, (code, msg) in refused.items())


def backend_from_url(url: str) -> MailBackend:
    """`file:///path/outbox`, `smtp://user:pass@host:port?starttls=1` or `smtps://…`."""
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
        )
    raise ValueError(f"RSE_MAIL_URL: unknown scheme {parts.scheme!r} (file, smtp or smtps)")

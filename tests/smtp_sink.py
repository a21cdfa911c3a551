"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it receives."""
from __future__ import annotations

import email
import email.policy
import socket
import threading
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class Sink:
    """Receives mail on a free local port; `messages` holds them parsed, `arrived` waits for one."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.cond = threading.Condition()
        with socket.socket() as s:  # a free port (aiosmtpd checks readiness on the port it is given)
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        """Keep the message (aiosmtpd calls this for each one)."""
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.cond:
            self.messages.append(message)
            self.cond.notify_all()
        return "250 OK"

    def arrived(self, count: int, timeout: float = 60.0) -> bool:
        """Wait until at least count messages came (a condition, not a sleep)."""
        with self.cond:
            return self.cond.wait_for(lambda: len(self.messages) >= count, timeout)

    def settings(self) -> dict:
        """App settings that send mail here."""
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port, "MAIL_SENDER": "library@example.org"}

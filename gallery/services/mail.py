"""Outgoing mail: SMTP when MAIL_SERVER is set, otherwise written to the log (development)."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Any, Mapping

logger = logging.getLogger("gallery.mail")


def send_mail(settings: Mapping[str, Any], to: str, subject: str, body: str,
              headers: Mapping[str, str] | None = None) -> None:
    """Send one plain-text message (with any extra headers); without MAIL_SERVER the whole message goes to the log."""
    msg = EmailMessage()
    msg["From"] = settings.get("MAIL_SENDER") or "gallery@localhost"
    msg["To"] = to
    msg["Subject"] = subject
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    server = settings.get("MAIL_SERVER")
    if not server:
        # Plain text, not the encoded message, so links can be copied from the log.
        logger.warning("Mail not sent (no MAIL_SERVER); it would have said:\nFrom: %s\nTo: %s\n"
                       "Subject: %s\n\n%s", msg["From"], to, subject, body)
        return
    with smtplib.SMTP(server, int(settings.get("MAIL_PORT") or 25), timeout=20) as smtp:
        if settings.get("MAIL_USE_TLS"):
            smtp.starttls()
        if settings.get("MAIL_USERNAME"):
            smtp.login(settings["MAIL_USERNAME"], settings.get("MAIL_PASSWORD") or "")
        smtp.send_message(msg)

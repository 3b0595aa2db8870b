"""Email backends for tests: the locmem outbox, with a mail server that refuses some mail.

Set `settings.EMAIL_BACKEND = "tests.mail_backends.RefusingBackend"` and say what to
refuse in `REFUSE`: {address: (error, times)}; each send to that address raises the
error until it has been raised `times` times (None: every time). Sent mail lands in
django.core.mail.outbox as with the locmem backend. `killed()` stands in for the worker
being killed mid-send (SIGKILL, out of memory): no `except Exception` handler runs.
"""

from __future__ import annotations

import smtplib

from django.core.mail.backends.locmem import EmailBackend

REFUSE: dict[str, tuple[BaseException, int | None]] = {}
REFUSED: list[str] = []


def temporary() -> smtplib.SMTPResponseException:
    return smtplib.SMTPResponseException(451, b"4.3.0 Mailbox busy, try again later")


def permanent() -> smtplib.SMTPResponseException:
    return smtplib.SMTPResponseException(550, b"5.1.1 No such mailbox")


def killed() -> SystemExit:
    return SystemExit("worker killed while sending")


class RefusingBackend(EmailBackend):
    def send_messages(self, messages):
        for message in messages:
            for address in message.to:
                if address in REFUSE:
                    error, times = REFUSE[address]
                    if times is None or times > 0:
                        if times is not None:
                            REFUSE[address] = (error, times - 1)
                        REFUSED.append(address)
                        raise error
        return super().send_messages(messages)

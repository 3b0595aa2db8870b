"""Saying once that a service (the cache, the broker) is down, and once that it is back.

During an outage every request fails the same way; logging each failure would bury the
one line that matters, so only the first failure and the recovery are logged.
"""

from __future__ import annotations

import logging
import threading


class Outage:
    """The state of one service as this process last saw it."""

    def __init__(self, service: str, logger: logging.Logger) -> None:
        self.service = service
        self.logger = logger
        self.down = False
        self._lock = threading.Lock()

    def failed(self, exc: BaseException, consequence: str) -> None:
        """Note a failed call; log it only if the service was up until now."""
        with self._lock:
            first, self.down = not self.down, True
        if first:
            self.logger.warning(
                "%s is unavailable (%s: %s); %s", self.service, type(exc).__name__, exc, consequence
            )

    def recovered(self) -> None:
        """Note a call that worked; log it only if the service was down."""
        if not self.down:  # the usual case, without taking the lock
            return
        with self._lock:
            was_down, self.down = self.down, False
        if was_down:
            self.logger.warning("%s is available again", self.service)

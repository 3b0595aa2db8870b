"""The base of every task sent through the outbox, and the sweep that Celery beat runs.

A task declared with `base=OutboxTask` keeps its ordinary signature (ids in). Run by a
delivery of an outbox message (its Celery task id names the message), it first claims
the message, then runs; what happens next is recorded on the message:

- it returns: sent (a returned string is kept as the outcome);
- it raises an error its task calls transient (`outbox_is_transient`): pending again,
  queued by the sweep after a growing delay, until `outbox_max_attempts` runs were made.
  Without a broker (tasks in-process) it runs again at once instead;
- it raises anything else, or runs out of attempts: failed, with the error, and the
  task's `outbox_gave_up` records that on the task's own rows.

Retries go through the database rather than Celery's countdowns, so they survive the
broker losing its messages and never outlive its visibility timeout. A run whose worker
process dies is redelivered (acks_late, reject_on_worker_lost) with `redelivered` set,
or queued again by the sweep once its time limit has passed.

Called directly (`task.delay(...)`, `task.apply(...)`) the task simply runs.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task

from . import services
from .services import Delivery

logger = logging.getLogger(__name__)


class Undeliverable(Exception):
    """The work cannot be done, for a reason already recorded or worth showing as is;
    the message fails with this reason and no traceback is logged."""


class OutboxTask(Task):
    """A task whose runs are recorded on an OutboxMessage (see the module's docstring)."""

    acks_late = True
    reject_on_worker_lost = True
    # A run still going after time_limit is dead; the sweep relies on it.
    time_limit = 300
    soft_time_limit = 270
    outbox_label = ""  # what the admin calls these messages
    outbox_max_attempts = 6
    outbox_backoff_seconds = 60.0  # before the second attempt; doubled each time
    outbox_transient: tuple[type[BaseException], ...] = ()

    def outbox_is_transient(self, exc: BaseException) -> bool:
        """Whether a later attempt may succeed where this one raised `exc`."""
        return isinstance(exc, self.outbox_transient)

    # *args and **kwargs: Any let each task name its own arguments in its override.
    def outbox_gave_up(self, reason: str, *args: Any, **kwargs: Any) -> None:
        """Called once when the outbox gives up on a message, with the task's arguments.

        Override to record the failure where analysts look for it (a report's status)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        message_id = services.task_message_id(self.request.id)
        if message_id is None:
            return super().__call__(*args, **kwargs)
        return self._deliver(message_id, args, kwargs)

    @property
    def delivery(self) -> Delivery | None:
        """The outbox delivery being run, or None for a direct call."""
        return self.request.get("outbox_delivery")

    def _deliver(self, message_id: int, args: tuple, kwargs: dict) -> Any:
        task_id = self.request.id
        assert task_id is not None  # it named message_id (`__call__`)
        while True:
            delivery = services.outbox_claim(message_id=message_id, task_id=task_id)
            if delivery is None:
                return "skipped: not the message's current dispatch"
            # Celery's Context holds any attribute; its stubs declare only Celery's own.
            self.request.outbox_delivery = delivery  # type: ignore[attr-defined]
            try:
                # run(), not super().__call__(): keep the request Celery pushed for us.
                result = self.run(*args, **kwargs)
            except Exception as exc:
                if self._retry(exc, delivery, task_id):
                    continue
                return None
            services.outbox_finish(
                message_id=message_id,
                task_id=task_id,
                outcome=result if isinstance(result, str) else "",
            )
            return result

    def _retry(self, exc: Exception, delivery: Delivery, task_id: str) -> bool:
        """Record a failed run; True when it should be run again at once (no broker)."""
        error = services.describe_error(exc)
        ids: dict[str, Any] = {"message_id": delivery.message_id, "task_id": task_id}
        if self.outbox_is_transient(exc) and delivery.attempt < self.outbox_max_attempts:
            logger.warning(
                "%s: attempt %s of message %s failed, will retry: %s",
                self.name,
                delivery.attempt,
                delivery.message_id,
                error,
            )
            if self.request.is_eager:
                services.outbox_retry_now(**ids, error=error)
                return True
            services.outbox_retry_later(
                **ids,
                attempt=delivery.attempt,
                base_seconds=self.outbox_backoff_seconds,
                error=error,
            )
            return False
        if isinstance(exc, Undeliverable):
            reason = str(exc)
        elif self.outbox_is_transient(exc):
            reason = f"Gave up after {delivery.attempt} attempts. Last error: {error}"
        else:
            logger.exception("%s: message %s failed", self.name, delivery.message_id)
            reason = error
        services.outbox_fail(**ids, reason=reason)
        return False


@shared_task(name="outbox.sweep", ignore_result=True)
def outbox_sweep() -> dict[str, int]:
    """Queue the messages that should be on their way and are not (Celery beat)."""
    return services.outbox_sweep()


@shared_task(name="outbox.prune", ignore_result=True)
def outbox_prune() -> int:
    """Delete sent messages past their retention (Celery beat)."""
    return services.outbox_prune()

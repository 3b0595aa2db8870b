"""Outgoing messages: every email, render and batch, recorded before it is sent."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class OutboxQuerySet(models.QuerySet):
    def about(self, subject: models.Model | None) -> OutboxQuerySet:
        """Messages about this row (None: messages about no row)."""
        if subject is None:
            return self.filter(subject_type=None, subject_id=None)
        return self.filter(
            subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
        )

    def unfinished(self) -> OutboxQuerySet:
        return self.filter(status__in=OutboxMessage.ACTIVE_STATUSES)

    def with_problems(self) -> OutboxQuerySet:
        """Failed, or waiting to be tried again after an error."""
        return self.filter(
            models.Q(status=OutboxMessage.Status.FAILED)
            | (models.Q(status__in=OutboxMessage.ACTIVE_STATUSES) & ~models.Q(last_error=""))
        )


class OutboxMessage(models.Model):
    """One piece of work for a Celery task, saved in the transaction that caused it.

    `kind` names the task and `payload` holds its keyword arguments (ids only, never a
    secret). `task_id` is the Celery id of the current dispatch: only a delivery with
    that id may run the message, so older copies on the broker do nothing.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # saved; not on the broker yet, or waiting to retry
        QUEUED = "queued", "Queued"  # on the broker, or being handled by a worker
        SENT = "sent", "Sent"  # its task finished
        FAILED = "failed", "Failed"  # given up; last_error says why

    ACTIVE_STATUSES = (Status.PENDING, Status.QUEUED)

    kind = models.CharField(max_length=200, help_text="The Celery task that handles it.")
    payload = models.JSONField(default=dict, blank=True)
    subject_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Deliveries a worker started.")
    last_error = models.TextField(blank=True)
    outcome = models.CharField(max_length=200, blank=True, help_text="What its task reported.")
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(
        help_text="When the sweep may queue it, if it is still pending."
    )
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker started the current dispatch."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outgoing message"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["subject_type", "subject_id"], name="outbox_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.get_status_display()})"

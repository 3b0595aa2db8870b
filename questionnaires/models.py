"""What is asked and how it is answered.

A Questionnaire has numbered versions; a published version never changes (a change is a
new version), so every Response, which points at exactly one version, keeps its meaning.
The parsed definition is stored whole on the version (`definition`, the normalised form
documented in docs/questionnaire-format.md); Section, Question and Choice are rows of it
so that answers can point at questions.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class ImmutableVersionError(Exception):
    """Raised on any attempt to change or delete a published questionnaire version."""


class Questionnaire(models.Model):
    key = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class QuestionnaireVersionQuerySet(models.QuerySet["QuestionnaireVersion"]):
    def update(self, **kwargs: Any) -> int:
        # Only the status may move (published -> retired); content is frozen.
        frozen = set(kwargs) - {"status", "retired_at"}
        if frozen and self.filter(status__in=QuestionnaireVersion.FROZEN_STATUSES).exists():
            raise ImmutableVersionError(
                "Published questionnaire versions cannot be changed; import a new version."
            )
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(status__in=QuestionnaireVersion.FROZEN_STATUSES).exists():
            raise ImmutableVersionError("Published questionnaire versions cannot be deleted.")
        return super().delete()


class QuestionnaireVersion(models.Model):
    FROZEN_STATUSES = (VersionStatus.PUBLISHED, VersionStatus.RETIRED)
    CONTENT_FIELDS = ("questionnaire_id", "number", "title", "definition", "content_hash")

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    title = models.CharField(max_length=200)
    definition = models.JSONField(help_text="The normalised, validated definition.")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the definition.")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = QuestionnaireVersionQuerySet.as_manager()

    class Meta:
        ordering = ["questionnaire", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "number"], name="unique_questionnaire_version_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.number} ({self.get_status_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk:
            self._refuse_content_change()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.is_frozen:
            raise ImmutableVersionError("Published questionnaire versions cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.status in self.FROZEN_STATUSES

    # The default profile is the definition's first (a definition lists at least one):
    # the one pages, exports and reports use until the analyst picks another. Written as
    # a path into the definition so that a query can follow the same rule
    # (selectors.default_profile_key_in_sql).
    DEFAULT_PROFILE_KEY_PATH = ("profiles", 0, "key")

    @property
    def default_profile_key(self) -> str:
        """The key of the version's default profile."""
        node: Any = self.definition
        for step in self.DEFAULT_PROFILE_KEY_PATH:
            node = node[step]
        return node

    def _refuse_content_change(self) -> None:
        stored = (
            type(self).objects.filter(pk=self.pk).values("status", *self.CONTENT_FIELDS).first()
        )
        if stored is None or stored["status"] not in self.FROZEN_STATUSES:
            return
        changed = [f for f in self.CONTENT_FIELDS if stored[f] != getattr(self, f)]
        if changed or self.status == VersionStatus.DRAFT:
            raise ImmutableVersionError(
                f"Version {self.number} of {self.title!r} is published and cannot change "
                f"({', '.join(changed) or 'status'}); import it as a new version."
            )


class Section(models.Model):
    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.CASCADE, related_name="sections"
    )
    key = models.SlugField(max_length=80)
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    weight = models.FloatField()

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="unique_section_key"),
        ]

    def __str__(self) -> str:
        return self.title


class QuestionType(models.TextChoices):
    YES_NO = "yes_no", "Yes / no"
    SINGLE_CHOICE = "single_choice", "Single choice"
    MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
    INTEGER = "integer", "Whole number"
    DECIMAL = "decimal", "Decimal number"
    PERCENTAGE = "percentage", "Percentage"
    TEXT = "text", "Text"
    DATE = "date", "Date"
    FILE = "file", "File (evidence)"


class Question(models.Model):
    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.CASCADE, related_name="questions"
    )
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=80)
    position = models.PositiveIntegerField(help_text="Order within the whole version.")
    text = models.TextField()
    type = models.CharField(max_length=20, choices=QuestionType.choices)
    required = models.BooleanField(default=False)
    evidence_requested = models.BooleanField(default=False)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="unique_question_key"),
        ]

    def __str__(self) -> str:
        return self.key


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    key = models.SlugField(max_length=80)
    position = models.PositiveIntegerField()
    label = models.CharField(max_length=300)
    risk = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "key"], name="unique_choice_key"),
        ]

    def __str__(self) -> str:
        return self.label


class Profile(models.Model):
    """An industry lens on a version: section weights and extra flag rules.

    Imported from the definition; analysts may re-weight sections afterwards (which
    rescoring picks up), the questions themselves stay frozen with the version.
    """

    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.CASCADE, related_name="profiles"
    )
    key = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    section_weights = models.JSONField(default=dict)
    rules = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["version", "key"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="unique_profile_key"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"


class ResponseStatus(models.TextChoices):
    INVITED = "invited", "Invited"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    CLARIFICATION_REQUESTED = "clarification", "Clarification requested"
    ACCEPTED = "accepted", "Accepted"


# Every rule about which statuses allow what is stated here, once.
# The vendor may still change answers (during clarification only the reopened ones); a
# response in one of these is also "open", so overdue once past its due date.
EDITABLE_STATUSES = frozenset(
    {ResponseStatus.INVITED, ResponseStatus.IN_PROGRESS, ResponseStatus.CLARIFICATION_REQUESTED}
)
# Handed over to analysts at least once: scored, and evidence can be reviewed.
HANDED_OVER_STATUSES = frozenset(
    {ResponseStatus.SUBMITTED, ResponseStatus.CLARIFICATION_REQUESTED, ResponseStatus.ACCEPTED}
)


class Response(models.Model):
    """One vendor's answers to one questionnaire version, in one round (Selection).

    A vendor answers once per round; the same vendor can be in several rounds, of the
    same version or of different ones. `carried_from` is the vendor's earlier response
    whose answers this one started from.
    """

    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.PROTECT, related_name="responses"
    )
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="responses")
    # Null only for responses made outside a round (tests and tools); invitations always
    # set it. A round that holds responses cannot be deleted.
    selection = models.ForeignKey(
        "Selection",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responses",
        verbose_name="round",
    )
    status = models.CharField(
        max_length=20, choices=ResponseStatus.choices, default=ResponseStatus.INVITED
    )
    due_date = models.DateField()
    # When the due date was last set (invitation or extension): reminders whose day came
    # before it are not sent late.
    due_date_set_at = models.DateTimeField(null=True, blank=True)
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="carried_to"
    )
    clarification_reply_by = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    analyst_yearly_price = models.DecimalField(
        "yearly price (entered by an analyst)",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="In the round's currency; used by the business case instead of the "
        "vendor's commercial answers.",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "due_date"], name="response_open_due")]
        constraints = [
            # One response per vendor and round; responses outside a round are free.
            models.UniqueConstraint(
                fields=["selection", "vendor"],
                condition=models.Q(selection__isnull=False),
                name="unique_response_per_round_vendor",
            )
        ]

    def __str__(self) -> str:
        return f"{self.vendor} · {self.version}"

    @property
    def round_profile_key(self) -> str:
        """The profile the response is weighed by unless someone picks another: its
        round's, where its version defines that profile, else the version's default."""
        version = self.version
        if self.selection is not None:
            key = self.selection.profile_key
            if any(p["key"] == key for p in version.definition["profiles"]):
                return key
        return version.default_profile_key


class EvidenceLevel(models.TextChoices):
    SELF_ATTESTED = "self_attested", "Self-attested"
    DOCUMENT = "document", "Document attached"
    VERIFIED = "verified", "Verified by an analyst"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.JSONField(null=True, blank=True)
    comment = models.TextField(blank=True)
    evidence_level = models.CharField(
        max_length=16, choices=EvidenceLevel.choices, default=EvidenceLevel.SELF_ATTESTED
    )
    # Incremented on every change; a save based on an older revision is a conflict.
    revision = models.PositiveIntegerField(default=0)
    needs_clarification = models.BooleanField(default=False)
    clarification_note = models.TextField(blank=True)
    # The analyst asked for a document with the clarification: the portal shows an
    # upload box here whether or not the questionnaire asks for evidence.
    clarification_wants_document = models.BooleanField(default=False)
    # Copied from the vendor's earlier response and not yet confirmed or changed; counts
    # as unanswered at submit.
    carried_forward = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["response", "question__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"], name="unique_answer_per_question"
            )
        ]

    def __str__(self) -> str:
        return f"{self.response} · {self.question.key}"


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    return f"evidence/{instance.answer.response_id}/{filename}"


class Evidence(models.Model):
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_upload_to, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.original_name


class ResponseScore(models.Model):
    """The stored result of scoring one response under one profile.

    `engine_version` and `inputs_hash` make a stale score detectable; the override, if
    any, sits next to the computed values and never replaces them.
    """

    # No separate indexes: the unique (response, profile_key) index serves every lookup,
    # and each extra index is rewritten for every row a rescoring job updates.
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="scores", db_index=False
    )
    profile_key = models.SlugField(max_length=80, db_index=False)
    engine_version = models.CharField(max_length=20)
    inputs_hash = models.CharField(max_length=64)
    computed_at = models.DateTimeField()
    score = models.FloatField(null=True, blank=True)
    low = models.FloatField()
    high = models.FloatField()
    coverage = models.FloatField()
    tier = models.CharField(max_length=12)
    flag_count = models.PositiveIntegerField(default=0)
    result = models.JSONField(help_text="The full result with its explanation.")
    override_score = models.FloatField(null=True, blank=True)
    override_tier = models.CharField(max_length=12, blank=True)
    override_reason = models.TextField(
        "reason for the buyer",
        blank=True,
        help_text="Printed in the buyer's reports beside the overridden score.",
    )
    override_justification = models.TextField(
        "internal note",
        blank=True,
        help_text="For analysts only: never printed in a report or exported to the buyer.",
    )
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    overridden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["response", "profile_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "profile_key"], name="unique_score_per_profile"
            )
        ]

    def __str__(self) -> str:
        score = "no score" if self.score is None else f"{self.score:.1f}"
        return f"{self.response} · {self.profile_key}: {score}"


class Channel(models.TextChoices):
    CHAT = "chat", "Web and app chat"
    VOICE = "voice", "Voice"
    EMAIL = "email", "Email"
    MESSAGING = "messaging", "Messaging apps"
    SMS = "sms", "SMS"
    SOCIAL = "social", "Social media"


DEFAULT_REMINDER_DAYS = (7, 3, 1)


def default_reminder_days() -> list[int]:
    return list(DEFAULT_REMINDER_DAYS)


class Selection(models.Model):
    """A selection round: one buyer, one questionnaire version, the vendors invited to it.

    The buyer context is what vendors see beside the questions that refer to the buyer;
    the buyer's name only when `buyer_name_visible`.
    """

    name = models.CharField(max_length=200)
    buyer_name = models.CharField(max_length=200)
    buyer_name_visible = models.BooleanField(
        "vendors may see the buyer's name",
        default=False,
        help_text="Otherwise vendors see the buyer described by its industry and regions.",
    )
    buyer_industry = models.CharField("industry", max_length=200, blank=True)
    buyer_regions = models.CharField(
        "regions", max_length=300, blank=True, help_text="Where the buyer serves customers."
    )
    buyer_currency = models.CharField(
        "currency",
        max_length=3,
        blank=True,
        help_text="ISO 4217 code, such as EUR: the currency vendors quote prices in.",
    )
    buyer_channels = models.JSONField(
        "channels", default=list, blank=True, help_text="The channels the agent would serve."
    )
    yearly_contact_volume = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Customer contacts a year across the channels in scope."
    )
    human_contact_cost = models.DecimalField(
        "cost of a contact handled by a person",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="In the round's currency, fully loaded: used by the business case.",
    )
    use_cases = models.TextField("use cases in scope", blank=True)
    buyer_note = models.TextField(
        "note to vendors", blank=True, help_text="Shown to every vendor in the round."
    )
    # Null only for rounds that existed before rounds had a version.
    version = models.ForeignKey(
        QuestionnaireVersion,
        null=True,
        on_delete=models.PROTECT,
        related_name="selections",
        verbose_name="questionnaire version",
    )
    profile_key = models.SlugField("industry profile", max_length=80, default="general")
    due_date = models.DateField(null=True)
    reminder_days = models.JSONField(
        default=default_reminder_days,
        help_text="Days before the due date on which open responses are reminded.",
    )
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="owned_selections",
        verbose_name="analysts",
        help_text="Told of submissions, answered clarifications and overdue vendors.",
    )
    frameworks = models.JSONField(
        default=list,
        blank=True,
        help_text="The frameworks the buyer cares about (keys of questionnaires/frameworks/).",
    )
    recommended = models.ForeignKey(
        "Response",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="recommended vendor",
        help_text="The verdict on the report's cover; empty means no recommendation yet.",
    )
    recommendation = models.TextField(blank=True)
    # The vendors and scores the recommendation was written against (see
    # services.selections.recommendation_basis).
    recommendation_basis = models.JSONField(default=dict, blank=True)
    recommendation_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signed_off_selections",
        help_text="The analyst who signed the recommendation off for the buyer.",
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_selections",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "selection round"

    def __str__(self) -> str:
        return f"{self.name} ({self.buyer_name})"


class ReminderKind(models.TextChoices):
    BEFORE_DUE = "before_due", "Reminder before the due date"
    OVERDUE = "overdue", "Overdue notice"
    CLOSED = "closed", "Link closed at the deadline"


class Reminder(models.Model):
    """One reminder, overdue notice or closing notice for one response's due date.

    The unique constraint is the claim: the sweep inserts the row before anything is
    sent, so two sweeps (or two beat processes) never send the same notice twice. An
    extended due date is a new due date, so the notices still ahead are sent again.
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=12, choices=ReminderKind.choices)
    days_before = models.IntegerField(default=0, help_text="For reminders: days before due.")
    due_date = models.DateField(help_text="The due date the notice was for.")
    sweep = models.CharField(max_length=32, help_text="The sweep that claimed it.")
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-claimed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "kind", "days_before", "due_date"], name="unique_reminder"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.response} (due {self.due_date})"


class ReportKind(models.TextChoices):
    COMPARISON = "comparison", "Vendor comparison"
    ASSESSMENT = "assessment", "Single-vendor assessment"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RENDERING = "rendering", "Rendering"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Report(models.Model):
    kind = models.CharField(max_length=12, choices=ReportKind.choices)
    selection = models.ForeignKey(
        Selection, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    response = models.ForeignKey(
        Response, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    profile_key = models.SlugField(max_length=80, default="general")
    status = models.CharField(
        max_length=12, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    inputs_hash = models.CharField(max_length=64, db_index=True)
    # What the report was rendered from (reports.report_inputs), kept so that a stale
    # report can say what changed since, and any answer can be shown as it was then.
    inputs = models.JSONField(null=True, blank=True, editable=False)
    file = models.FileField(upload_to="reports/", blank=True, max_length=300)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        subject = self.selection or self.response
        return f"{self.get_kind_display()}: {subject} ({self.get_status_display()})"


class AuditEvent(models.Model):
    """Who changed what and when: answers, statuses, evidence levels, score overrides."""

    class Kind(models.TextChoices):
        ANSWER_CHANGED = "answer_changed", "Answer changed"
        STATUS_CHANGED = "status_changed", "Status changed"
        EVIDENCE_ADDED = "evidence_added", "Evidence added"
        EVIDENCE_VERIFIED = "evidence_verified", "Evidence level changed"
        CLARIFICATION_REQUESTED = "clarification_requested", "Clarification requested"
        SCORE_OVERRIDDEN = "score_overridden", "Score overridden"
        LINK_ISSUED = "link_issued", "Private link issued"
        LINK_REVOKED = "link_revoked", "Private link revoked"
        DUE_DATE_CHANGED = "due_date_changed", "Due date changed"
        ANSWERS_CARRIED_FORWARD = "answers_carried_forward", "Answers carried forward"
        ANSWERS_CONFIRMED = "answers_confirmed", "Carried-forward answers confirmed"
        EMAIL_SENT = "email_sent", "Email sent"
        EMAIL_FAILED = "email_failed", "Email failed"
        REPORT_GENERATED = "report_generated", "Report generated"
        PRICE_CHANGED = "price_changed", "Yearly price changed"

    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="events", null=True, blank=True
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField(
        max_length=200, blank=True, help_text="Who acted, for vendors who have no account."
    )
    at = models.DateTimeField(auto_now_add=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor_label or self.actor_user}"


class RescoreJob(models.Model):
    """Rescoring every affected response under one profile, in batches, with progress.

    Each batch task advances `cursor` (the last response id scored) with a conditional
    update, so a redelivered batch finds the cursor moved on and does nothing twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        SUPERSEDED = "superseded", "Superseded by a later job"

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="rescore_jobs")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(max_length=200, blank=True)
    weights_before = models.JSONField(default=dict, blank=True)
    weights_after = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    cursor = models.BigIntegerField(default=0, help_text="The last response id scored.")
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "rescoring job"

    def __str__(self) -> str:
        return (
            f"Rescoring {self.profile.key}: {self.done}/{self.total} ({self.get_status_display()})"
        )

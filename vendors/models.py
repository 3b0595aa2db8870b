"""Who is asked: vendors, their contacts and the private links they answer through."""

from __future__ import annotations

from django.db import models


class Vendor(models.Model):
    name = models.CharField(max_length=200, unique=True)
    product = models.CharField(max_length=200)
    website = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.product})"


class Contact(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    role = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["vendor", "name"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "email"], name="unique_contact_email"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class AccessLink(models.Model):
    """A contact's private link to one response. Only the token's SHA-256 is stored."""

    response = models.ForeignKey(
        "questionnaires.Response", on_delete=models.CASCADE, related_name="access_links"
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="access_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    # Claimed by the clarification email task; compared with the response's
    # submitted_at so that each clarification round is emailed once per link.
    clarification_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Link for {self.contact} to {self.response}"


class LinkToken(models.Model):
    """A further token for a link, minted by an email sent after the invitation.

    Every email to a contact (a reminder, a clarification request, the acceptance) carries
    a working private link. The worker that builds the email mints a fresh token for the
    contact's active link and stores only its SHA-256 here, so the raw token exists only
    in that worker's memory and in the email, as the invitation's does. Each of a link's
    tokens opens what the link opens until the link is revoked.

    `purpose` names the email that carried the token; with the link it is unique, so the
    row is also that email's claim: a repeated task finds it and sends nothing twice.
    `sent_at` is set once the mail server accepted the email. A claim without it belongs
    to a run that was cut short (its worker killed mid-send), which the redelivered run
    takes over, so the email is not lost (vendors.services.link_token_mint).
    """

    link = models.ForeignKey(AccessLink, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=100, help_text="The email that carried the token.")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the mail server accepted the email."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["link", "purpose"], name="unique_link_token_purpose")
        ]

    def __str__(self) -> str:
        return f"Token of {self.link} ({self.purpose})"


class WorkbookImport(models.Model):
    """An uploaded answers workbook, checked and waiting for its preview to be confirmed.

    Kept server-side so that the preview cannot be altered on its way back: confirming
    names only this row, found within the response the link (or the admin page) opens.
    At most one waits per response (a new upload replaces it), it is deleted once applied,
    and one older than WORKBOOK_IMPORT_HOURS is refused and removed.
    """

    class Via(models.TextChoices):
        PORTAL = "portal", "Vendor portal"
        ADMIN = "admin", "Analyst, on the vendor's behalf"

    response = models.ForeignKey(
        "questionnaires.Response", on_delete=models.CASCADE, related_name="workbook_imports"
    )
    via = models.CharField(max_length=10, choices=Via.choices)
    # Who the saves will be recorded as (the audit's actor and the answers' updated_by).
    entered_by = models.CharField(max_length=200)
    # The changes read from the workbook: [{question_key, value, comment, base_revision}],
    # with "warning" where the reading doubted the value (shown on the preview).
    changes = models.JSONField(default=list)
    # Every question the workbook answers (its key), in order: the preview lists the rest
    # as unchanged.
    questions = models.JSONField(default=list)
    # Answered in the workbook, but not asked given the answers: ignored (the preview
    # says so).
    not_asked = models.JSONField(default=list)
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Workbook {self.file_name} for {self.response}"

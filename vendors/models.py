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

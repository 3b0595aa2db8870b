from django.contrib import admin

from .models import AccessLink, Contact, Vendor


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 1


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("name", "product", "website")
    search_fields = ("name", "product")
    inlines = [ContactInline]


@admin.register(AccessLink)
class AccessLinkAdmin(admin.ModelAdmin):
    list_display = ("contact", "response", "created_at", "revoked_at", "last_used_at")
    readonly_fields = ("token_hash",)

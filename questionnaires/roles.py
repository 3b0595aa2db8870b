"""The roles that ship with the app: Django groups and exactly the permissions each holds.

`services.roles.roles_sync` creates the groups and keeps their permissions equal to
these sets after every `migrate` (docs/security.md, "Roles"). What a permission lets
someone see or do is decided in one place, `questionnaires/access.py`.

Every model of the two apps is named here once, in `WORKSPACE_MODELS`, so a new model is
visible to nobody until someone decides who may see it (a test checks the list is
complete).
"""

from __future__ import annotations

ANALYST = "Analyst"
REVIEWER = "Read-only reviewer"
ADMINISTRATOR = "Administrator"

# Every model of the workspace: reviewers (and so everyone above them) see all of them.
WORKSPACE_MODELS = (
    "questionnaires.questionnaire",
    "questionnaires.questionnaireversion",
    "questionnaires.section",
    "questionnaires.question",
    "questionnaires.choice",
    "questionnaires.profile",
    "questionnaires.response",
    "questionnaires.answer",
    "questionnaires.evidence",
    "questionnaires.responsescore",
    "questionnaires.selection",
    "questionnaires.report",
    "questionnaires.auditevent",
    "questionnaires.rescorejob",
    "questionnaires.reminder",
    "vendors.vendor",
    "vendors.contact",
    "vendors.accesslink",
    "vendors.linktoken",
    # a vendor's checked workbook waiting for its confirmation (not in the admin; entering
    # one for the vendor takes change_response)
    "vendors.workbookimport",
    "outbox.outboxmessage",
)


def _view(models: tuple[str, ...]) -> frozenset[str]:
    return frozenset(f"{app}.view_{model}" for app, model in (m.split(".") for m in models))


# Sees everything in the workspace, changes nothing, starts nothing that writes.
REVIEWER_PERMISSIONS = _view(WORKSPACE_MODELS)

# The analyst's work (DESIGN.md, "The people"). Not granted to any role: deleting a
# response (superusers only, and never one with history, see access.py), deleting
# reports, the audit trail or anything else that is a record, and editing questionnaires
# outside their YAML files.
ANALYST_PERMISSIONS = REVIEWER_PERMISSIONS | {
    # publish or retire a version; delete a draft one
    "questionnaires.change_questionnaireversion",
    "questionnaires.delete_questionnaireversion",
    # re-weight a profile, which rescores; rescore on demand
    "questionnaires.change_profile",
    # accept, request clarification, set evidence levels, override scores
    "questionnaires.change_response",
    # recompute stored scores now
    "questionnaires.change_responsescore",
    # rounds for a buyer
    "questionnaires.add_selection",
    "questionnaires.change_selection",
    "questionnaires.delete_selection",
    # request (render) PDF reports
    "questionnaires.add_report",
    # vendors and their contacts
    "vendors.add_vendor",
    "vendors.change_vendor",
    "vendors.delete_vendor",
    "vendors.add_contact",
    "vendors.change_contact",
    "vendors.delete_contact",
    # invite (issue links), revoke and reissue links
    "vendors.add_accesslink",
    "vendors.change_accesslink",
}

# Accounts, groups and sign-in pauses, on top of the analyst's work.
ADMINISTRATOR_PERMISSIONS = ANALYST_PERMISSIONS | {
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "auth.delete_user",
    "auth.view_group",
    "auth.add_group",
    "auth.change_group",
    "auth.delete_group",
    # sign-in records; deleting an access attempt lifts its pause
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "axes.view_accesslog",
    "axes.view_accessfailurelog",
}

ROLES: dict[str, frozenset[str]] = {
    REVIEWER: REVIEWER_PERMISSIONS,
    ANALYST: frozenset(ANALYST_PERMISSIONS),
    ADMINISTRATOR: frozenset(ADMINISTRATOR_PERMISSIONS),
}

"""Who may see and do what in the analysts' workspace: the one place that decides.

Roles (questionnaires/roles.py) are groups of Django model permissions; this module
turns them into decisions about objects. Every custom admin view, admin action,
comparison, export, report and download loads what it shows through the `*_for_user`
functions below, and the ModelAdmins' `has_*_permission` methods ask the `may_*`
predicates, so a rule is written once. (The vendor portal has its own gate,
`vendors/access.py`, which turns a private token into one response.)

An object reveals what it is made of, so opening it needs the right to see each part:

- a response, its answers, comments, scores, flags, history and the names of its
  evidence files: `view_response`;
- the bytes of an evidence file: `view_evidence` and `view_response`;
- a stored score, an audit event or a report: its own view permission and
  `view_response`; a comparison report also `view_selection`;
- a selection's comparison and exports: `view_selection` and `view_response`.

Starting work that writes derived data is a change, never a view: requesting or
re-rendering a PDF needs `add_report`, rescoring `change_profile`, recomputing scores
`change_responsescore`. Deleting a response is for superusers only, and Django's
deletion check then also refuses one with an audit trail, which nobody deletes.

The permission is checked before the object is looked up, so a refused user learns
nothing, not even whether an id exists (403 either way); a permitted one gets 404 for
an id that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal, overload

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.contrib.auth.models import User as Account
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from vendors.models import Vendor

from .models import AuditEvent, Evidence, Questionnaire, Report, ReportKind, Response, Selection
from .selectors import questionnaire_response_ids

# Who asks: a signed-in account (with its permissions and flags) or nobody.
User = AbstractUser | AnonymousUser


def acting_account(request: HttpRequest) -> Account:
    """The account behind a workspace request, which services record as who acted.

    Only signed-in staff get past `admin_view`, so on a workspace page there is one.
    """
    account = request.user
    assert isinstance(account, Account), "workspace pages are for signed-in staff only"
    return account


def _has(user: Any, *permissions: str) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perms(permissions))


# What a user may do, by object type ------------------------------------------------------


def may_view_responses(user: User) -> bool:
    return _has(user, "questionnaires.view_response")


def may_change_responses(user: User) -> bool:
    """Review: accept, request clarification, set evidence levels, override scores."""
    return _has(user, "questionnaires.view_response", "questionnaires.change_response")


def may_delete_responses(user: User) -> bool:
    # A response carries its answers, evidence, scores and history: no role may delete
    # it, whatever permissions an account was given; a superuser may, where nothing
    # recorded hangs off it.
    return bool(user.is_active and user.is_superuser)


def may_view_part_of_responses(user: User, model_permission: str) -> bool:
    """Rows that show part of a response (evidence, scores, events, reports)."""
    return _has(user, model_permission, "questionnaires.view_response")


def may_view_selections(user: User) -> bool:
    """A selection's page; its comparison needs `may_compare_selections`."""
    return _has(user, "questionnaires.view_selection")


def may_compare_selections(user: User) -> bool:
    return _has(user, "questionnaires.view_selection", "questionnaires.view_response")


def may_sign_off_selections(user: User) -> bool:
    """Sign a round's verdict off for the buyer: a change to the round."""
    return _has(user, "questionnaires.view_selection", "questionnaires.change_selection")


def may_request_reports(user: User) -> bool:
    """Request or re-render a PDF: writes a report (and starts rendering it)."""
    return _has(user, "questionnaires.add_report", "questionnaires.view_response")


def may_recompute_scores(user: User) -> bool:
    return _has(user, "questionnaires.change_responsescore", "questionnaires.view_response")


def may_invite(user: User) -> bool:
    """Invite a vendor's contacts: makes responses and private links and emails them."""
    return _has(user, "vendors.change_vendor", "vendors.add_accesslink")


def may_revoke_links(user: User) -> bool:
    return _has(user, "vendors.view_accesslink", "vendors.change_accesslink")


def may_reissue_links(user: User) -> bool:
    """Revoke a link and email a new one: a change and a new link."""
    return may_revoke_links(user) and _has(user, "vendors.add_accesslink")


def may_manage_account(user: User, account: Any | None) -> bool:
    """Beyond `change_user`: only a superuser touches a superuser's account."""
    return account is None or not account.is_superuser or bool(user.is_superuser)


def may_delete_account(user: User, account: Any | None) -> bool:
    """Beyond `delete_user`: an account the audit trail names is kept (deactivate it)."""
    if account is None:
        return True
    return may_manage_account(user, account) and not _in_audit_trail(account)


def _in_audit_trail(account: Any) -> bool:
    return AuditEvent.objects.filter(actor_user=account).exists()


# Loading one object, or refusing --------------------------------------------------------


def _pk(object_id: int | str) -> int:
    try:
        return int(object_id)
    except (TypeError, ValueError):
        raise Http404(f"No object with id {object_id!r}.") from None


def _get(queryset: QuerySet, object_id: int | str, what: str) -> Any:
    found = queryset.filter(pk=_pk(object_id)).first()
    if found is None:
        raise Http404(f"No {what} with id {object_id}.")
    return found


def response_for_user(
    user: User,
    response_id: int | str,
    *,
    change: bool = False,
    queryset: QuerySet[Response] | None = None,
) -> Response:
    """The response, if this user may see it (or, with change=True, review it)."""
    allowed = may_change_responses(user) if change else may_view_responses(user)
    if not allowed:
        raise PermissionDenied
    queryset = queryset if queryset is not None else Response.objects.all()
    return _get(queryset.select_related("vendor", "version", "selection"), response_id, "response")


def responses_for_user(user: User, response_ids: Iterable[int]) -> list[int]:
    """The ids to show together (a comparison, an export), if this user may see them all.

    Ids that do not exist are left for the comparison to report.
    """
    ids = list(response_ids)
    if not may_view_responses(user):
        raise PermissionDenied
    return ids


def questionnaire_responses_for_user(
    user: User, questionnaire_id: int | str
) -> tuple[Questionnaire, list[int]]:
    """A questionnaire and the ids of every response to it (any version), to export."""
    if not may_view_responses(user):
        raise PermissionDenied
    questionnaire = _get(Questionnaire.objects.all(), questionnaire_id, "questionnaire")
    return questionnaire, questionnaire_response_ids(questionnaire)


def selection_for_user(user: User, selection_id: int | str, *, compare: bool = False) -> Selection:
    """The selection; with compare=True also the right to see its responses' answers."""
    allowed = may_compare_selections(user) if compare else may_view_selections(user)
    if not allowed:
        raise PermissionDenied
    return _get(Selection.objects.all(), selection_id, "selection")


def selection_to_sign_off_for_user(user: User, selection_id: int | str) -> Selection:
    """The selection whose verdict this user may sign off."""
    if not may_sign_off_selections(user):
        raise PermissionDenied
    return _get(Selection.objects.all(), selection_id, "selection")


def report_for_user(user: User, report_id: int | str) -> Report:
    """The report (its status, its file), if this user may see what it reports on."""
    if not may_view_part_of_responses(user, "questionnaires.view_report"):
        raise PermissionDenied
    queryset = Report.objects.select_related("selection", "response__vendor")
    report = _get(queryset, report_id, "report")
    if report.kind == ReportKind.COMPARISON and not may_view_selections(user):
        raise PermissionDenied
    return report


@overload
def report_subject_for_user(
    user: User, *, kind: Literal[ReportKind.COMPARISON], subject_id: int | str
) -> Selection: ...
@overload
def report_subject_for_user(
    user: User, *, kind: Literal[ReportKind.ASSESSMENT], subject_id: int | str
) -> Response: ...
@overload
def report_subject_for_user(
    user: User, *, kind: str, subject_id: int | str
) -> Selection | Response: ...
def report_subject_for_user(
    user: User, *, kind: str, subject_id: int | str
) -> Selection | Response:
    """The selection or response a PDF is requested for, if this user may request it."""
    if not may_request_reports(user):
        raise PermissionDenied
    if kind == ReportKind.COMPARISON:
        return selection_for_user(user, subject_id, compare=True)
    return response_for_user(user, subject_id)


def evidence_for_user(user: User, evidence_id: int | str) -> Evidence:
    """An evidence file, if this user may read files and the response they belong to."""
    if not may_view_part_of_responses(user, "questionnaires.view_evidence"):
        raise PermissionDenied
    return _get(Evidence.objects.select_related("answer__response"), evidence_id, "evidence file")


def vendor_to_invite_for_user(user: User, vendor_id: int | str) -> Vendor:
    """The vendor whose contacts this user is about to invite."""
    if not may_invite(user):
        raise PermissionDenied
    return _get(Vendor.objects.all(), vendor_id, "vendor")


def round_to_invite_into_for_user(user: User, selection_id: int | str) -> Selection:
    """The round whose vendors this user is about to invite (and whose responses show)."""
    if not (may_invite(user) and may_view_responses(user) and may_view_selections(user)):
        raise PermissionDenied
    return _get(Selection.objects.select_related("version"), selection_id, "round")


def reports_for_user(user: User, reports: QuerySet[Report]) -> Sequence[Report]:
    """Reports to re-render (an admin action), if this user may request each of them."""
    if not may_request_reports(user):
        raise PermissionDenied
    chosen = list(reports.select_related("selection", "response__version"))
    if any(r.kind == ReportKind.COMPARISON for r in chosen) and not may_compare_selections(user):
        raise PermissionDenied
    return chosen

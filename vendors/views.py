"""The vendor portal: thin views over the access helper, the forms and the services.

Every view receives a PortalAccess from `portal_view` (vendors.access), so it can only
ever see the one response its token opens. Pages work without JavaScript (a plain form
POST saves a whole section); portal.js adds autosave, live conditions and uploads on
top, through the JSON endpoints below.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from questionnaires.display import answer_display
from questionnaires.evidence import (
    EvidenceRejected,
    check_upload,
    human_size,
    quoted_name,
    refused_while_streaming,
)
from questionnaires.rounds import round_currency
from questionnaires.services.answers import (
    AnswerLocked,
    ResponseIncomplete,
    ResponseNotEditable,
    SaveResult,
    answers_confirm,
    answers_save,
    evidence_add,
    evidence_remove,
    response_submit,
)

from .access import PRIVATE_HEADERS, PortalAccess, portal_view, render_portal
from .forms import EVIDENCE, PAGE_UNREADABLE, QuestionsForm, field_name
from .models import WorkbookImport
from .portal import ResponseState, response_state
from .post_limits import RELOAD, unreadable_response
from .sections import (
    ONLY_REOPENED,
    autosave_reply,
    body_of,
    clarification_items,
    confirm_reply,
    confirmable_keys,
    editable_keys,
    evidence_reply,
    neighbours,
    not_asked_reply,
    render_section,
    section_form,
    section_page,
)
from .services import (
    WorkbookImportGone,
    workbook_import_apply,
    workbook_import_pending,
    workbook_import_store,
)
from .workbook.export import XLSX_CONTENT_TYPE, workbook_bytes, workbook_filename
from .workbook.read import WorkbookRefused
from .workbook.uploads import (
    closed_because,
    outcome_summary,
    pending_preview,
    preview_context,
    read_upload,
    workbook_actor,
)

# Pages -------------------------------------------------------------------------------------


@require_GET
@portal_view
def overview(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    state = response_state(access.response, access.plan)
    context = {
        "state": state,
        "days_left": (access.response.due_date - timezone.localdate()).days,
        "clarifications": clarification_items(access, state),
    }
    return render_portal(request, "portal/overview.html", context, access=access)


@require_http_methods(["GET", "POST"])
@portal_view
def section(request: HttpRequest, access: PortalAccess, section_key: str) -> HttpResponse:
    section = access.section(section_key)
    if not access.editable:
        return redirect(reverse("portal:sent", args=[access.token]) + f"#s-{section_key}")
    if request.method == "POST":
        return _section_post(request, access, section)
    return section_page(request, access, section)


def _section_post(
    request: HttpRequest, access: PortalAccess, section: dict[str, Any]
) -> HttpResponse:
    state = response_state(access.response, access.plan, with_evidence=True)
    form = section_form(access, section, state, request.POST.copy(), request.FILES)
    form.is_valid()
    if not form.editable_keys:
        messages.info(request, ONLY_REOPENED)
        return redirect("portal:section", access.token, section["key"])
    if not _sent_anything(request, form):
        return unreadable_response(request, SECTION_NOT_SENT)
    to_confirm = _to_confirm(request, state, form)
    if to_confirm is None:
        return unreadable_response(request, NOT_CONFIRMABLE)
    conflicts: dict[str, SaveResult] = {}
    confirmed: list[str] = []
    try:
        changes = form.changes()
        if changes:
            outcome = answers_save(
                response=access.response, changes=changes, actor=access.actor, link=access.link.pk
            )
            for result in outcome.results.values():
                form.rebase(result)
            conflicts = outcome.conflicts
        _store_uploads(request, access, form)
        _remove_files(request, access)
        if to_confirm:
            # After the saves: an answer changed in this post is confirmed by the change.
            confirmed = answers_confirm(
                response=access.response, question_keys=to_confirm, actor=access.actor
            )
    except ResponseNotEditable as exc:
        messages.error(request, str(exc))
        return redirect("portal:overview", access.token)
    except AnswerLocked:
        # The analyst reopened the response for clarification meanwhile.
        messages.error(request, ONLY_REOPENED)
        return redirect("portal:section", access.token, section["key"])
    if form.errors or conflicts:
        # Valid answers are saved already; show what still needs attention.
        state = response_state(access.response, access.plan, with_evidence=True)
        for key in confirmed:
            form.rebase(state.answer(key))
        body = body_of(access, section, state, form, conflicts=conflicts)
        return render_section(request, access, section, body)
    if to_confirm:
        one = bool(request.POST.get("confirm_answer"))
        messages.success(
            request,
            "Your answers are saved and the answer is confirmed."
            if one
            else "Your answers are saved and this page's carried-forward answers confirmed.",
        )
        anchor = f"#q-{to_confirm[0]}" if one else ""
        return redirect(reverse("portal:section", args=[access.token, section["key"]]) + anchor)
    messages.success(request, "Your answers are saved.")
    if request.POST.get("action") == "next":
        _, next_key = neighbours(access, section)
        if next_key:
            return redirect("portal:section", access.token, next_key)
        return redirect("portal:submit", access.token)
    return redirect("portal:section", access.token, section["key"])


CONFIRM_SECTION = "confirm_section"
NOT_CONFIRMABLE = (
    "Nothing was saved: the answer to confirm is not one of this page's answers carried "
    f"forward. {RELOAD}"
)


def _to_confirm(
    request: HttpRequest, state: ResponseState, form: QuestionsForm
) -> list[str] | None:
    """The carried-forward answers a section post asks to confirm: one (its card's
    Confirm button), every one the page shows (the section's), or none; None when the
    post names something else (not one of the page's carried-forward answers)."""
    named = request.POST.getlist("confirm_answer")
    confirmable = confirmable_keys(state, form, form.visible)
    if request.POST.get("action") == CONFIRM_SECTION:
        return confirmable
    if not named:
        return []
    if len(named) != 1:
        return None
    if named[0] in confirmable:
        return named
    # Confirmed or changed since the page was drawn (by a colleague): nothing to do.
    return [] if named[0] in form.questions and named[0] not in state.carried else None


SECTION_NOT_SENT = (
    "Nothing was saved: the request held none of this page's answers, as if the page "
    f"had not been sent whole. {RELOAD}"
)
NO_FILE = "No file arrived: choose the file again."


def _sent_anything(request: HttpRequest, form: QuestionsForm) -> bool:
    """Whether the post carries something of this page to save: an editable question as
    the page draws it, a file, or a file to remove. Save on a page of editable
    questions always sends their revisions, so a post without any was not that page."""
    return (
        any(form.sent(key) for key in form.editable_keys)
        or bool(request.FILES)
        or bool(getattr(request, "evidence_refused", None))
        or bool(request.POST.getlist("remove_evidence"))
    )


def _store_uploads(request: HttpRequest, access: PortalAccess, form: QuestionsForm) -> None:
    for key in form.questions:
        name = field_name(key, EVIDENCE)
        if name not in form.fields or form.fields[name].disabled:
            continue
        _, refused = _attach(request, access, key, name)
        for message in refused:
            form.add_error(name, message)


def _attach(
    request: HttpRequest, access: PortalAccess, question_key: str, field: str
) -> tuple[list[str], list[str]]:
    """Check and store each file sent in `field`: the names added, and for each file
    refused (as it streamed in, or here), why."""
    added, refused = [], refused_while_streaming(request, field)
    uploads: list[UploadedFile] = request.FILES.getlist(field)
    for upload in uploads:
        try:
            evidence = evidence_add(
                response=access.response,
                question_key=question_key,
                upload=check_upload(upload),
                actor=access.actor,
            )
        except (EvidenceRejected, AnswerLocked, ValueError) as exc:
            refused.append(f"{quoted_name(upload.name)}: {exc}")
        else:
            added.append(evidence.original_name)
    return added, refused


def _remove_files(request: HttpRequest, access: PortalAccess) -> None:
    for evidence_id in request.POST.getlist("remove_evidence"):
        try:
            name = evidence_remove(
                response=access.response,
                evidence_id=int(evidence_id),
                actor=access.actor,
                link=access.link.pk,
            )
        except (KeyError, ValueError, AnswerLocked):
            messages.error(request, "That file could not be removed: it is no longer there.")
        else:
            messages.info(request, f"Removed {name}.")


# JSON endpoints for portal.js --------------------------------------------------------------


def _json_locked(message: str) -> JsonResponse:
    return JsonResponse({"status": "locked", "message": message}, status=409)


QuestionView = Callable[..., HttpResponse]


def _question_endpoint(
    when_submitted: str,
) -> Callable[[QuestionView], Callable[..., HttpResponse]]:
    """A portal.js endpoint about the question its URL names: a POST, through the access
    helper, given the question (404 when the questionnaire has no such question); once
    the response is submitted, 409 saying `when_submitted`."""

    def decorate(view: QuestionView) -> Callable[..., HttpResponse]:
        @require_POST
        @portal_view
        @wraps(view)
        def endpoint(
            request: HttpRequest, access: PortalAccess, question_key: str, **kwargs: Any
        ) -> HttpResponse:
            question = access.question(question_key)
            if not access.editable:
                return _json_locked(when_submitted)
            return view(request, access, question, **kwargs)

        return endpoint

    return decorate


ANSWER_NOT_SENT = (
    f"Nothing was saved: the request did not hold this answer as the page sends it. {RELOAD}"
)


@_question_endpoint("This response was submitted; answers can no longer change.")
def autosave(request: HttpRequest, access: PortalAccess, question: dict[str, Any]) -> HttpResponse:
    """Save one question's answer and comment; report what the page should now show."""
    key = question["key"]
    state = response_state(access.response, access.plan)
    editable = editable_keys(access, state, [key])
    if key not in editable:
        return _json_locked(ONLY_REOPENED)
    form = QuestionsForm(
        request.POST, plan=access.plan, questions=[question], state=state, editable_keys=editable
    )
    form.is_valid()
    if not form.sent(key):
        # Never "unchanged": nothing in this post could be read as the question's answer.
        first_field = form[form.names_of(key)[0]].auto_id
        return unreadable_response(
            request,
            PAGE_UNREADABLE if key in form.unreadable else ANSWER_NOT_SENT,
            field_id=first_field,
        )
    if key not in form.visible:
        # A follow-up whose condition the stored answers no longer meet (changed in
        # another tab, or by a colleague, or by a save that overtook this one).
        return JsonResponse(not_asked_reply(access, state, question), status=409)
    errors = {form[name].auto_id: list(msgs) for name, msgs in form.errors.items()}
    if errors:
        return JsonResponse({"status": "invalid", "errors": errors})
    result = None
    changes = form.changes()
    if changes:
        try:
            outcome = answers_save(
                response=access.response, changes=changes, actor=access.actor, link=access.link.pk
            )
        except ResponseNotEditable as exc:
            return _json_locked(str(exc))
        result = outcome.results[key]
        if result.status == "saved":
            state = state.with_answer(result)
    return JsonResponse(autosave_reply(access, state, question, result))


@_question_endpoint("This response was submitted; documents can no longer change.")
def evidence_upload(
    request: HttpRequest, access: PortalAccess, question: dict[str, Any]
) -> HttpResponse:
    """Attach files to a question (portal.js uploads on selection)."""
    field = field_name(question["key"], EVIDENCE)
    if not request.FILES.getlist(field) and not refused_while_streaming(request, field):
        return unreadable_response(request, NO_FILE)
    try:
        added, refused = _attach(request, access, question["key"], field)
    except ResponseNotEditable as exc:
        return _json_locked(str(exc))
    return JsonResponse(evidence_reply(access, question, errors=refused, added=added))


@_question_endpoint("This response was submitted; documents can no longer change.")
def evidence_delete(
    request: HttpRequest, access: PortalAccess, question: dict[str, Any], evidence_id: int
) -> JsonResponse:
    try:
        evidence_remove(
            response=access.response,
            evidence_id=evidence_id,
            actor=access.actor,
            question_key=question["key"],
            link=access.link.pk,
        )
    except (KeyError, AnswerLocked) as exc:
        # With the question's files as they are, so the page shows the reason and a
        # true list (portal.js redraws the list from every reply).
        errors = [str(exc).strip("'\"")]
        reply = evidence_reply(access, question, errors=errors, added=[])
        return JsonResponse(reply, status=404 if isinstance(exc, KeyError) else 409)
    except ResponseNotEditable as exc:
        return _json_locked(str(exc))
    return JsonResponse(evidence_reply(access, question, errors=[], added=[]))


@_question_endpoint("This response was submitted; answers can no longer change.")
def confirm(request: HttpRequest, access: PortalAccess, question: dict[str, Any]) -> JsonResponse:
    """Confirm one carried-forward answer unchanged (portal.js); the post carries nothing
    else."""
    key = question["key"]
    state = response_state(access.response, access.plan)
    if key not in editable_keys(access, state, [key]):
        return _json_locked(ONLY_REOPENED)
    try:
        confirmed = answers_confirm(
            response=access.response, question_keys=[key], actor=access.actor
        )
    except AnswerLocked:
        return _json_locked(ONLY_REOPENED)
    except ResponseNotEditable as exc:
        return _json_locked(str(exc))
    if confirmed:
        state = response_state(access.response, access.plan)
    return JsonResponse(confirm_reply(access, state, question, bool(confirmed)))


# Submitting and what was sent ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@portal_view
def submit(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    if not access.editable:
        return redirect("portal:sent", access.token)
    state = response_state(access.response, access.plan)
    missing = state.progress.missing
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            response_submit(response=access.response, actor=access.actor)
        except ResponseIncomplete as exc:
            missing = exc.missing
        except ResponseNotEditable as exc:
            messages.error(request, str(exc))
            return redirect("portal:overview", access.token)
        else:
            messages.success(request, "Thank you: your response was submitted.")
            return redirect("portal:sent", access.token)
    context = {
        "state": state,
        "missing": missing,
        "attempted": request.method == "POST",
        "clarifications": clarification_items(access, state),
    }
    return render_portal(request, "portal/submit.html", context, access=access)


@require_GET
@portal_view
def sent(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    """Everything the vendor sent, read-only and ready to print."""
    state = response_state(access.response, access.plan, with_evidence=True)
    currency = round_currency(access.response.selection)
    sections = []
    for index, section in enumerate(access.definition["sections"], start=1):
        rows = [
            {
                "number": f"{index}.{i}",
                "question": q,
                "answer": state.answer(q["key"]),
                # Derived values as worked out, amounts in the round's currency.
                "display": answer_display(q, state.values.get(q["key"]), currency=currency),
                "evidence": state.evidence.get(q["key"], []),
            }
            for i, q in enumerate(section["questions"], start=1)
            if q["key"] in state.progress.visible
        ]
        sections.append({"section": section, "rows": rows})
    context = {"state": state, "sections": sections, "printed_at": timezone.now()}
    return render_portal(request, "portal/sent.html", context, access=access)


# Answering offline in a workbook ------------------------------------------------------------

WORKBOOK_FIELD = "workbook"


@require_http_methods(["GET", "POST"])
@portal_view
def workbook(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    """Download the response as a workbook; upload it filled in (checked, not yet saved)."""
    context: dict[str, Any] = {"max_bytes": human_size(settings.WORKBOOK_MAX_BYTES)}
    if not access.editable:
        context["closed"] = closed_because(access.response)
    status = 200
    if request.method == "POST":
        state = response_state(access.response, access.plan)
        try:
            upload = read_upload(
                request.FILES.get(WORKBOOK_FIELD),
                response=access.response,
                plan=access.plan,
                state=state,
                refused=refused_while_streaming(request, WORKBOOK_FIELD),
            )
        except WorkbookRefused as exc:
            context["refused"], status = str(exc), 400
        else:
            if upload.reading.problems:
                context["problems"], status = upload.reading.problems, 400
            else:
                pending = workbook_import_store(
                    response=access.response,
                    changes=upload.reading.changes,
                    questions=upload.reading.keys,
                    not_asked=upload.reading.not_asked,
                    warnings=upload.reading.warnings,
                    via=WorkbookImport.Via.PORTAL,
                    entered_by=workbook_actor(access.actor, "vendor"),
                    file_name=upload.name,
                    file_sha256=upload.sha256,
                )
                return redirect("portal:workbook_preview", access.token, pending.pk)
    return render_portal(request, "portal/workbook.html", context, access=access, status=status)


@require_GET
@portal_view
def workbook_download(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    state = response_state(access.response, access.plan, with_evidence=True)
    data = workbook_bytes(access.response, access.plan, state)
    reply = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    reply["Content-Disposition"] = (
        content_disposition_header(True, workbook_filename(access.response)) or "attachment"
    )
    for header, value in PRIVATE_HEADERS.items():
        reply[header] = value
    return reply


@require_http_methods(["GET", "POST"])
@portal_view
def workbook_preview(request: HttpRequest, access: PortalAccess, import_id: int) -> HttpResponse:
    """What the uploaded workbook would change; confirming saves it (as autosave does)."""
    try:
        pending = workbook_import_pending(access.response, import_id, WorkbookImport.Via.PORTAL)
    except WorkbookImportGone as exc:
        messages.error(request, str(exc))
        return redirect("portal:workbook", access.token)
    # Refused before the save, which would have nothing to refuse in a preview of no
    # changes: the page says why instead of "saved".
    refused = request.method == "POST" and not access.editable
    if request.method == "POST" and not refused:
        try:
            outcome = workbook_import_apply(workbook_import=pending, link=access.link.pk)
        except (ResponseNotEditable, WorkbookImportGone) as exc:
            messages.error(request, str(exc))
            return redirect("portal:overview", access.token)
        messages.success(request, outcome_summary(outcome, access.plan.numbers))
        return redirect("portal:overview", access.token)
    state = response_state(access.response, access.plan)
    preview = pending_preview(pending, access.response, state)
    currency = round_currency(access.response.selection)
    shown = preview_context(access.plan, preview, currency, pending.not_asked)
    context = {"pending": pending, **shown}
    if not access.editable:
        context["closed"] = closed_because(access.response)
    return render_portal(
        request,
        "portal/workbook_preview.html",
        context,
        access=access,
        status=409 if refused else 200,
    )

"""The vendor portal: thin views over the access helper, the forms and the services.

Every view receives a PortalAccess from `portal_view` (vendors.access), so it can only
ever see the one response its token opens. Pages work without JavaScript (a plain form
POST saves a whole section); portal.js adds autosave, live conditions and uploads on
top, through the JSON endpoints below.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from questionnaires.completeness import needs_explanation
from questionnaires.display import answer_display
from questionnaires.evidence import EvidenceRejected, check_upload
from questionnaires.services.answers import (
    AnswerLocked,
    ResponseIncomplete,
    ResponseNotEditable,
    SaveResult,
    answers_save,
    evidence_add,
    evidence_remove,
    response_submit,
)

from .access import PortalAccess, portal_view, render_portal
from .forms import EVIDENCE, LOADED, REVISION, QuestionsForm, answer_fingerprint, field_name
from .portal import ResponseState, response_state
from .sections import (
    body_of,
    clarification_items,
    editable_keys,
    render_section,
    saved_label,
    section_form,
    section_page,
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


def _section_post(request: HttpRequest, access: PortalAccess, section: dict) -> HttpResponse:
    state = response_state(access.response, access.plan, with_evidence=True)
    form = section_form(access, section, state, request.POST.copy(), request.FILES)
    form.is_valid()
    try:
        changes = form.changes()
        if changes:
            outcome = answers_save(response=access.response, changes=changes, actor=access.actor)
            for key, result in outcome.results.items():
                form.note_saved(key, result)
        _store_uploads(request, access, form)
        _remove_files(request, access)
    except ResponseNotEditable as exc:
        messages.error(request, str(exc))
        return redirect("portal:overview", access.token)
    if form.errors or form.conflicts:
        # Valid answers are saved already; show what still needs attention.
        state = response_state(access.response, access.plan, with_evidence=True)
        form.state = state
        return render_section(request, access, section, body_of(access, section, state, form))
    messages.success(request, "Your answers are saved.")
    if request.POST.get("action") == "next":
        keys = list(access.sections_by_key)
        index = keys.index(section["key"])
        if index + 1 < len(keys):
            return redirect("portal:section", access.token, keys[index + 1])
        return redirect("portal:submit", access.token)
    return redirect("portal:section", access.token, section["key"])


def _store_uploads(request: HttpRequest, access: PortalAccess, form: QuestionsForm) -> None:
    for key in form.questions:
        name = field_name(key, EVIDENCE)
        if name not in form.fields or form.fields[name].disabled:
            continue
        for upload in request.FILES.getlist(name):
            try:
                checked = check_upload(upload)
                evidence_add(
                    response=access.response, question_key=key, upload=checked, actor=access.actor
                )
            except (EvidenceRejected, AnswerLocked) as exc:
                form.add_error(name, f"{upload.name}: {exc}")


def _remove_files(request: HttpRequest, access: PortalAccess) -> None:
    for evidence_id in request.POST.getlist("remove_evidence"):
        try:
            name = evidence_remove(
                response=access.response, evidence_id=int(evidence_id), actor=access.actor
            )
        except (KeyError, ValueError, AnswerLocked):
            messages.error(request, "That file could not be removed: it is no longer there.")
        else:
            messages.info(request, f"Removed {name}.")


# JSON endpoints for portal.js --------------------------------------------------------------


def _json_locked(message: str) -> JsonResponse:
    return JsonResponse({"status": "locked", "message": message}, status=409)


@require_POST
@portal_view
def autosave(request: HttpRequest, access: PortalAccess, question_key: str) -> JsonResponse:
    """Save one question's answer and comment; report what the page should now show."""
    question = access.question(question_key)
    if not access.editable:
        return _json_locked("This response was submitted; answers can no longer change.")
    # Progress is worked out once, after the save, for the reply.
    state = response_state(access.response, access.plan, with_progress=False)
    editable = editable_keys(access, state, [question_key])
    if question_key not in editable:
        return _json_locked("Only the answers the analyst reopened can change.")
    form = QuestionsForm(
        request.POST, plan=access.plan, questions=[question], state=state, editable_keys=editable
    )
    form.is_valid()
    errors = {form[name].auto_id: list(msgs) for name, msgs in form.errors.items()}
    if errors:
        return JsonResponse({"status": "invalid", "errors": errors})
    changes = form.changes()
    if not changes:
        return _autosave_reply(access, state, question, None)
    try:
        outcome = answers_save(response=access.response, changes=changes, actor=access.actor)
    except ResponseNotEditable as exc:
        return _json_locked(str(exc))
    result = outcome.results[question_key]
    if result.status == "saved":
        state.answers[question_key] = result  # the answer as stored now
    return _autosave_reply(access, state, question, result)


def _autosave_reply(
    access: PortalAccess, state: ResponseState, question: dict, result: SaveResult | None
) -> JsonResponse:
    """What the page shows after an autosave; `result` None: there was nothing to save."""
    answer = result or state.answer(question["key"])
    status = result.status if result else "unchanged"
    progress = access.plan.progress(state.values, state.comments)
    section = access.plan.section_of[question["key"]]
    section_progress = progress.section(section["key"])
    payload: dict[str, Any] = {
        "status": status,
        "question": question["key"],
        "revision": answer.revision,
        "loaded": answer_fingerprint(answer.value, answer.comment),
        "revision_field": field_name(question["key"], REVISION),
        "loaded_field": field_name(question["key"], LOADED),
        "saved_at": saved_label(answer.updated_at),
        "visible": sorted(progress.visible & {q["key"] for q in section["questions"]}),
        "explain_needed": needs_explanation(question, answer.value),
        "section_progress": {
            "answered": section_progress.answered,
            "total": section_progress.total,
        },
        "overall_progress": {"answered": progress.answered, "total": progress.total},
    }
    if status == "conflict":
        payload["theirs"] = {"value": result.value, "comment": result.comment}
        payload["conflict_html"] = render_to_string(
            "portal/_conflict.html",
            {
                "access": access,
                "question": question,
                "section": section,
                "conflict": result,
                "theirs_display": answer_display(question, result.value),
                "yours_display": answer_display(question, result.yours_value),
            },
        )
    if status == "locked":
        payload["message"] = "Only the answers the analyst reopened can change."
    return JsonResponse(payload)


@require_POST
@portal_view
def evidence_upload(request: HttpRequest, access: PortalAccess, question_key: str) -> HttpResponse:
    """Attach files to a question (portal.js uploads on selection; JSON reply)."""
    question = access.question(question_key)
    if not access.editable:
        return _json_locked("This response was submitted; documents can no longer change.")
    name = field_name(question_key, EVIDENCE)
    errors, added = [], []
    for upload in request.FILES.getlist(name):
        try:
            checked = check_upload(upload)
            evidence = evidence_add(
                response=access.response,
                question_key=question["key"],
                upload=checked,
                actor=access.actor,
            )
        except (EvidenceRejected, AnswerLocked, ValueError) as exc:
            errors.append(f"{upload.name}: {exc}")
        except ResponseNotEditable as exc:
            return _json_locked(str(exc))
        else:
            added.append(evidence.original_name)
    return _evidence_reply(access, question, errors=errors, added=added)


@require_POST
@portal_view
def evidence_delete(
    request: HttpRequest, access: PortalAccess, question_key: str, evidence_id: int
) -> HttpResponse:
    question = access.question(question_key)
    if not access.editable:
        return _json_locked("This response was submitted; documents can no longer change.")
    try:
        evidence_remove(
            response=access.response,
            evidence_id=evidence_id,
            actor=access.actor,
            question_key=question["key"],
        )
    except (KeyError, AnswerLocked) as exc:
        return JsonResponse({"status": "error", "errors": [str(exc).strip("'\"")]}, status=404)
    except ResponseNotEditable as exc:
        return _json_locked(str(exc))
    return _evidence_reply(access, question, errors=[], added=[])


def _evidence_reply(
    access: PortalAccess, question: dict, *, errors: list[str], added: list[str]
) -> JsonResponse:
    state = response_state(access.response, access.plan, with_evidence=True)
    items = state.evidence.get(question["key"], [])
    html = render_to_string(
        "portal/_evidence_list.html",
        {"evidence": items, "question": question, "editable": True},
    )
    return JsonResponse(
        {
            "status": "error" if errors and not added else "saved",
            "errors": errors,
            "added": added,
            "list_html": html,
            "count": len(items),
            "section_progress": _progress_of(access, state, question),
        }
    )


def _progress_of(access: PortalAccess, state: ResponseState, question: dict) -> dict:
    progress = state.progress.section(access.plan.section_of[question["key"]]["key"])
    return {"answered": progress.answered, "total": progress.total}


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
    sections = []
    for index, section in enumerate(access.definition["sections"], start=1):
        rows = [
            {
                "number": f"{index}.{i}",
                "question": q,
                "answer": state.answer(q["key"]),
                "evidence": state.evidence.get(q["key"], []),
            }
            for i, q in enumerate(section["questions"], start=1)
            if q["key"] in state.progress.visible
        ]
        sections.append({"section": section, "rows": rows})
    context = {"state": state, "sections": sections, "printed_at": timezone.now()}
    return render_portal(request, "portal/sent.html", context, access=access)

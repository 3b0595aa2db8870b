"""The load test's data, inside Django: what vendors and analysts start from and, after
the run, the check that every save the clients were told about is stored as they sent it.

benchmarks/loadtest.py runs this in subprocesses with the load test's settings:

    python -m benchmarks.load_data setup VENDORS ANALYSTS   # prints JSON
    python -m benchmarks.load_data verify LEDGER_JSON       # prints JSON

`setup` uses the project's own services and test factories: the demo data (which
imports and publishes the shipped questionnaire and makes a selection of five vendors
for the analysts to compare), staff users, and one vendor with one contact per session,
each invited with `invitation_create`, so each private link is emailed by the Celery
worker (the load test reads the tokens from those emails); as many more for the floor
view (benchmarks/urls.py) to update.
"""

from __future__ import annotations

import datetime
import json
import sys
from collections import defaultdict
from typing import Any

ANALYST_PASSWORD = "load-test analyst password 1"


def setup(vendors: int, analysts: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.utils import timezone

    from questionnaires.definition import iter_questions
    from questionnaires.models import Selection
    from questionnaires.services.demo import demo_seed
    from tests.factories import AnswerFactory, ContactFactory, UserFactory, VendorFactory, round_of
    from vendors.services import invitation_create

    call_command("migrate", verbosity=0, interactive=False)
    summary = demo_seed()
    selection = Selection.objects.order_by("pk").first()
    users = [
        UserFactory(username=f"load-analyst-{i}", password=ANALYST_PASSWORD)
        for i in range(analysts)
    ]
    due = timezone.localdate() + datetime.timedelta(days=30)

    def invite(name: str, address: str):
        vendor = VendorFactory(name=name, product=f"{name} Agent")
        contact = ContactFactory(vendor=vendor, email=address)
        (link,) = invitation_create(
            contacts=[contact], selection=round_of(summary.version, due), user=users[0]
        )
        return contact.email, link.response

    contacts = dict(
        invite(f"Load Vendor {i:02d}", f"vendor{i:02d}@load.example") for i in range(vendors)
    )
    # The floor view's own responses, each with one answer for it to update: vendors
    # never touch them, so the check of the vendors' answers is not disturbed.
    definition = summary.version.definition
    floor_question = next(q for _, q in iter_questions(definition) if q["type"] == "text")
    floor_contacts = {}
    for i in range(vendors):
        address, response = invite(f"Floor Vendor {i:02d}", f"floor{i:02d}@load.example")
        AnswerFactory(
            response=response,
            question=response.version.questions.get(key=floor_question["key"]),
            value="floor",
        )
        floor_contacts[address] = response.pk
    return {
        "sections": [section["key"] for section in definition["sections"]],
        "questions": {
            q["key"]: {
                "key": q["key"],
                "type": q["type"],
                "min": q["min"],
                "max": q["max"],
                "derived": bool(q.get("derived")),
            }
            for _, q in iter_questions(definition)
        },
        "version_id": summary.version.pk,
        "selection_id": selection.pk,
        "selection_vendors": selection.responses.count(),
        "analysts": [[u.username, ANALYST_PASSWORD] for u in users],
        "contacts": {address: response.pk for address, response in contacts.items()},
        "floor_contacts": floor_contacts,
        "floor_question": floor_question["key"],
        "floor_section": next(
            section["key"]
            for section in definition["sections"]
            if any(q["key"] == floor_question["key"] for q in section["questions"])
        ),
    }


def verify(ledger: dict[str, Any]) -> dict[str, Any]:
    """Compare the database with what the clients were told.

    The ledger has, per private link, every autosave that got a "saved" reply (in order)
    and the saves still unanswered when the run stopped (their reply was cut off or never
    came: the server may or may not have applied them). Checked, per answer:

    - the stored value, comment and revision are those of the last "saved" reply, or of
      one of the unanswered saves that followed it;
    - the stored answer's fingerprint is the one that reply carried;
    - its audit trail has one "answer changed" event per revision, 1 to the stored one,
      each "saved" reply's revision among them with the value and comment it reported;
    - no answer of these responses changed that no client sent.
    """
    from questionnaires.models import Answer, AuditEvent
    from vendors.forms import answer_fingerprint
    from vendors.models import AccessLink
    from vendors.services import token_hash

    links = ledger["links"]
    response_of = dict(
        AccessLink.objects.filter(token_hash__in=[token_hash(t) for t in links]).values_list(
            "token_hash", "response_id"
        )
    )
    token_of = {response_of[token_hash(t)]: t for t in links if token_hash(t) in response_of}
    problems: list[str] = [
        f"no link for token {t[:6]}…" for t in links if t not in token_of.values()
    ]
    stored = {
        (token_of[a.response_id], a.question.key): a
        for a in Answer.objects.filter(response_id__in=token_of).select_related("question")
    }
    events: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for response_id, data in AuditEvent.objects.filter(
        response_id__in=token_of, kind=AuditEvent.Kind.ANSWER_CHANGED
    ).values_list("response_id", "data"):
        events[(token_of[response_id], data.get("question"))].append(data)

    checked = 0
    touched = set()
    for token, questions in links.items():
        for key, record in questions.items():
            touched.add((token, key))
            checked += 1
            where = f"link {token[:6]}… question {key}"
            problems += _check_answer(where, record, stored.get((token, key)), answer_fingerprint)
            problems += _check_events(
                where, record, events.get((token, key), []), stored.get((token, key))
            )
    for (token, key), answer in stored.items():
        if (token, key) not in touched and (answer.revision or answer.value is not None):
            problems.append(
                f"link {token[:6]}… question {key}: changed to {answer.value!r} "
                f"(revision {answer.revision}), but no client sent it"
            )
    return {
        "answers_checked": checked,
        "saves_acknowledged": sum(len(r["saved"]) for q in links.values() for r in q.values()),
        "saves_unanswered": sum(len(r["unanswered"]) for q in links.values() for r in q.values()),
        "audit_events": sum(len(v) for v in events.values()),
        "problems": problems,
    }


def _check_answer(where: str, record: dict, answer, fingerprint) -> list[str]:
    saved = record["saved"]
    last = saved[-1] if saved else None
    candidates = ([last] if last else []) + [{**u, "revision": None} for u in record["unanswered"]]
    if answer is None:
        return (
            [f"{where}: not in the database (last saved reply: revision {last['revision']})"]
            if last
            else []
        )
    for candidate in candidates:
        same = answer.value == candidate["value"] and answer.comment == candidate["comment"]
        if candidate["revision"] is None:
            # An unanswered save, applied: it must have come after the last saved one.
            if same and answer.revision > (last["revision"] if last else 0):
                return []
        elif same and answer.revision == candidate["revision"]:
            if fingerprint(answer.value, answer.comment) != candidate["loaded"]:
                return [f"{where}: stored fingerprint differs from the one the reply carried"]
            return []
    if last is None:
        return [
            f"{where}: stored {answer.value!r} (revision {answer.revision}) but no save was acknowledged or pending with it"
        ]
    return [
        f"{where}: stored {answer.value!r} / {answer.comment!r} at revision {answer.revision}; "
        f"the last saved reply was {last['value']!r} / {last['comment']!r} at revision "
        f"{last['revision']}"
        + (
            f" ({len(record['unanswered'])} save(s) unanswered after it)"
            if record["unanswered"]
            else ""
        )
    ]


def _check_events(where: str, record: dict, events: list[dict], answer) -> list[str]:
    problems = []
    revisions = sorted(e.get("revision") for e in events)
    final = answer.revision if answer is not None else 0
    if revisions != list(range(1, final + 1)):
        problems.append(
            f"{where}: audit events for revisions {revisions[:5]}{'…' if len(revisions) > 5 else ''} "
            f"({len(revisions)}), expected exactly 1..{final}"
        )
    by_revision = {e.get("revision"): e for e in events}
    for save in record["saved"]:
        event = by_revision.get(save["revision"])
        if event is None:
            problems.append(f"{where}: no audit event for saved revision {save['revision']}")
        elif event.get("value") != save["value"] or event.get("comment") != save["comment"]:
            problems.append(
                f"{where}: audit event of revision {save['revision']} holds "
                f"{event.get('value')!r}, the reply said {save['value']!r}"
            )
    return problems


def main(argv: list[str]) -> None:
    import django

    django.setup()
    if argv[0] == "setup":
        result = setup(int(argv[1]), int(argv[2]))
    elif argv[0] == "verify":
        with open(argv[1]) as f:
            result = verify(json.load(f))
    else:
        sys.exit(f"unknown command {argv[0]!r}: setup or verify")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])

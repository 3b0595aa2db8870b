"""The portal with the format's newer fields: units beside inputs, declared answers
instead of a number, choices that ask for details, and scoring notes never shown."""

from __future__ import annotations

import html
import io
import re
from collections import Counter

import openpyxl

from questionnaires.definition import iter_questions
from questionnaires.models import Answer, ResponseStatus
from tests.factories import answer_all, round_of
from tests.vendors.helpers import open_response, section_post, url


def _answers(response) -> dict:
    return dict(Answer.objects.filter(response=response).values_list("question__key", "value"))


def _card(body: str, key: str) -> str:
    start = body.index(f'id="q-{key}"')
    end = body.find('class="card question-card', start + 1)
    return body[start : end if end > 0 else len(body)]


def test_no_portal_page_shows_a_scoring_note(client, extensions_version):
    token, _response = open_response(extensions_version)
    notes = [
        q["scoring_notes"]
        for _, q in iter_questions(extensions_version.definition)
        if "scoring_notes" in q
    ]
    assert notes
    pages = [url("overview", token), url("submit", token)] + [
        url("section", token, s["key"]) for s in extensions_version.definition["sections"]
    ]
    for page in pages:
        body = client.get(page).content.decode()
        for note in notes:
            assert note[:30] not in body, page


def test_numbers_show_their_unit_and_money_the_rounds_currency(client, extensions_version):
    token, _ = open_response(
        extensions_version, selection=round_of(extensions_version, buyer_currency="eur")
    )
    track = client.get(url("section", token, "track_record")).content.decode()
    assert re.search(
        r'<span class="input-group-text">\s*hours\s*</span>', _card(track, "time_to_rollback")
    )
    assert "input-group-text" not in _card(track, "rollbacks")  # a count reads bare
    oversight = client.get(url("section", token, "oversight")).content.decode()
    refund = _card(oversight, "refund_limit")
    assert re.search(r'<span class="input-group-text">\s*EUR\s*</span>', refund)
    assert "Currency: EUR" in refund  # beside the question, from the round


def test_a_vendor_can_say_not_measured_instead_of_a_number(client, extensions_version):
    token, response = open_response(extensions_version)
    body = client.get(url("section", token, "track_record")).content.decode()
    assert "We do not count them" in _card(body, "rollbacks")
    page = client.post(
        url("section", token, "track_record"),
        section_post(
            {"live_deployments": 4, "rollbacks": "", "rollbacks-declared": "not_measured"}
        ),
    )
    assert page.status_code == 302
    assert _answers(response)["rollbacks"] == "not_measured"
    body = client.get(url("section", token, "track_record")).content.decode()
    card = _card(body, "rollbacks")
    assert re.search(r'<option value="not_measured" selected>', card)
    assert re.search(r'name="rollbacks"[^>]*>', card)
    assert not re.search(r'name="rollbacks"[^>]*value="not_measured"', card)
    # The rate worked out from it is not measured either.
    assert "We do not measure this" in _card(body, "rollback_rate")


def test_a_figure_and_not_measured_together_are_refused_and_nothing_is_lost(
    client, extensions_version
):
    token, response = open_response(extensions_version)
    page = client.post(
        url("section", token, "track_record"),
        section_post(
            {"live_deployments": 4, "rollbacks": "1", "rollbacks-declared": "not_measured"}
        ),
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "Enter a figure or choose \u201cWe do not count them\u201d, not both" in body
    assert "rollbacks" not in _answers(response)
    assert _answers(response)["live_deployments"] == 4  # the rest of the page is saved
    assert 'value="1"' in _card(body, "rollbacks")  # what was typed is still there


def test_a_declared_answer_that_is_not_offered_is_refused(client, extensions_version):
    token, response = open_response(extensions_version)
    page = client.post(
        url("section", token, "track_record"),
        section_post({"live_deployments": 4, "rollbacks-declared": "not_tested"}),
    )
    assert "Choose one of the options listed." in page.content.decode()
    assert "rollbacks" not in _answers(response)


def test_a_choice_that_asks_for_details_shows_its_prompt_and_blocks_submit_until_given(
    client, extensions_version
):
    token, _response = open_response(extensions_version)
    client.post(
        url("section", token, "oversight"), section_post({"live_monitoring": "vendor_tool"})
    )
    card = _card(client.get(url("section", token, "oversight")).content.decode(), "live_monitoring")
    notice = re.search(r"<div[^>]*data-explain-notice[^>]*>", card).group(0)
    assert "hidden" not in notice
    assert "Name the tool and what it alerts on." in card
    submit = client.get(url("submit", token)).content.decode()
    assert "Explain your answer: Name the tool and what it alerts on." in submit

    client.post(
        url("section", token, "oversight"),
        section_post(
            {"live_monitoring": "vendor_tool", "live_monitoring-comment": "Acme Watch"},
            revisions={"live_monitoring": 1},
        ),
    )
    submit = client.get(url("submit", token)).content.decode()
    assert "Name the tool and what it alerts on." not in submit


def test_autosave_of_a_choice_asking_for_details_says_what_the_comment_needs(
    client, extensions_version
):
    token, _response = open_response(extensions_version)
    reply = client.post(
        url("autosave", token, "live_monitoring"),
        {"live_monitoring": "vendor_tool", "live_monitoring-revision": 0},
    ).json()
    assert reply["explain_needed"] is True
    assert reply["explain_prompt"] == "Name the tool and what it alerts on."


def test_a_derived_rate_is_shown_as_worked_out_and_cannot_be_typed_in(client, extensions_version):
    token, response = open_response(extensions_version)
    body = client.get(url("section", token, "track_record")).content.decode()
    card = _card(body, "rollback_rate")
    assert 'name="rollback_rate"' not in card  # no input for it
    assert "Worked out as your answer to question 1.2 out of your answer to question 1.1" in card
    assert 'name="rollback_rate-declared"' not in card  # "not measured" comes from 1.2
    assert "Not worked out yet" in card

    reply = client.post(
        url("autosave", token, "live_deployments"),
        {"live_deployments": "20", "live_deployments-revision": 0},
    ).json()
    reply = client.post(
        url("autosave", token, "rollbacks"), {"rollbacks": "1", "rollbacks-revision": 0}
    ).json()
    assert reply["derived"] == {"rollback_rate": "5%"}
    card = _card(
        client.get(url("section", token, "track_record")).content.decode(), "rollback_rate"
    )
    assert re.search(r"<strong data-derived-value[^>]*>5%</strong>", card)

    # A value posted for it anyway is not stored.
    client.post(
        url("section", token, "track_record"),
        section_post({"rollback_rate": "0"}, revisions={"rollback_rate": 0}),
    )
    assert _answers(response).get("rollback_rate") is None


def _grid_post(cells: dict, **extra) -> dict:
    data = section_post({}, revisions={})
    data["action_authority-revision"] = 0
    data.update({f"action_authority-{name}": value for name, value in cells.items()})
    data.update(extra)
    return data


def test_a_grid_saves_what_is_filled_and_keeps_limits_only_where_they_apply(
    client, extensions_version
):
    token, response = open_response(extensions_version)
    page = client.post(
        url("section", token, "oversight"),
        _grid_post(
            {
                "refund-voice": "alone_limited",
                "refund-voice-limit": "1,500",
                "refund-chat": "approved",
                "refund-chat-limit": "99",  # a human approves: no limit to keep
            }
        ),
    )
    assert page.status_code == 302
    assert _answers(response)["action_authority"] == {
        "choices": {"refund.voice": "alone_limited", "refund.chat": "approved"},
        "limits": {"refund.voice": 1500},
    }
    body = client.get(url("section", token, "oversight")).content.decode()
    card = _card(body, "action_authority")
    assert re.search(r'<option value="alone_limited" selected>', card)
    assert 'value="1500"' in card
    submit = client.get(url("submit", token)).content.decode()
    assert f'href="{url("section", token, "oversight")}#q-action_authority"' in submit


def test_a_grid_refuses_what_it_does_not_offer_and_saves_nothing_of_it(client, extensions_version):
    token, response = open_response(extensions_version)
    page = client.post(
        url("section", token, "oversight"),
        _grid_post(
            {
                "refund-voice": "acts_freely",
                "refund-chat-limit": "-5",
                "account_change-chat-limit": "1e999999",
                "nowhere-voice": "alone",
            }
        ),
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "Choose one of the options listed." in body
    # Beside each box, and again in the summary at the top: -5 and 1e999999 alike.
    assert body.count("Enter a number of at least 0.") == 4
    assert "action_authority" not in _answers(response)


def test_an_impossible_rate_says_which_answers_to_check(client, extensions_version):
    token, response = open_response(extensions_version)
    answer_all(response, {"live_deployments": 3, "rollbacks": 5})
    card = _card(
        client.get(url("section", token, "track_record")).content.decode(), "rollback_rate"
    )
    assert "Not worked out: 5 out of 3 comes to 166.7%, which cannot be." in card
    assert "Check your answers to questions 1.2 and 1.1." in card


def test_the_page_of_what_was_sent_shows_worked_out_values_and_the_rounds_currency(
    client, extensions_version
):
    token, response = open_response(
        extensions_version, selection=round_of(extensions_version, buyer_currency="EUR")
    )
    answer_all(response, {"live_deployments": 20, "rollbacks": 1, "refund_limit": 500})
    body = client.get(url("sent", token)).content.decode()
    assert "5%" in body
    assert "EUR 500" in body


def test_no_page_of_the_shipped_version_2_shows_a_scoring_note(client, shipped_v2_version):
    token, _ = open_response(
        shipped_v2_version, selection=round_of(shipped_v2_version, buyer_currency="EUR")
    )
    definition = shipped_v2_version.definition
    notes = [q["scoring_notes"] for _, q in iter_questions(definition) if "scoring_notes" in q]
    assert len(notes) > 50
    pages = [url("overview", token), url("submit", token)] + [
        url("section", token, s["key"]) for s in definition["sections"]
    ]
    for page in pages:
        reply = client.get(page)
        assert reply.status_code == 200, page
        # Whole notes, as a reader would see them (a note may open with a choice's label).
        body = " ".join(html.unescape(reply.content.decode()).split())
        for note in notes:
            assert " ".join(note.split()) not in body, (page, note)
    # Its grid and its money are drawn in the round's currency.
    body = "".join(client.get(p).content.decode() for p in pages)
    assert "data-grid" in body and "Up to (EUR)" in body


def _vendor_posts(question: dict) -> list[dict]:
    """Answers a vendor could send for the question, with an explanation: each choice in
    turn for a choice question, each kind of cell in every cell of a grid."""
    key, kind = question["key"], question["type"]
    if kind == "grid":
        rows, columns = question["rows"], question["columns"]
        parts = [f"{key}-{row['key']}-{column['key']}" for row in rows for column in columns]
        values = [dict.fromkeys(parts, cell["key"]) for cell in question["cells"]]
    elif question.get("choices"):
        many = kind == "multiple_choice"
        values = [{key: [c["key"]] if many else c["key"]} for c in question["choices"]]
    else:
        values = [{key: {"yes_no": "yes", "text": "As described", "decimal": "1.5"}.get(kind, "5")}]
    return [{**value, f"{key}-comment": "As described"} for value in values]


def _strings(value) -> list[str]:
    """Every string in a JSON reply (the HTML it carries included)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def _workbook_texts(content: bytes) -> list[str]:
    """Every text of the workbook a vendor downloads: each cell of each sheet, the
    prompts and error messages of its checks, and its cell comments."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    texts.append(str(cell.value))
                if cell.comment is not None:
                    texts.append(cell.comment.text)
        for check in sheet.data_validations.dataValidation:
            texts += [check.prompt, check.promptTitle, check.error, check.errorTitle]
            texts += [check.formula1, check.formula2]
    return [text for text in texts if text]


def test_no_download_or_reply_of_the_shipped_version_2_shows_a_scoring_note(
    client, shipped_v2_version
):
    """The workbook, every autosave reply (each choice of each question in turn, so every
    explanation prompt is drawn) and the page of what was sent carry no scoring note."""
    token, response = open_response(
        shipped_v2_version, selection=round_of(shipped_v2_version, buyer_currency="EUR")
    )
    definition = shipped_v2_version.definition
    notes = [
        " ".join(q["scoring_notes"].split())
        for _, q in iter_questions(definition)
        if "scoring_notes" in q
    ]
    assert len(notes) > 50

    def leaked(text: str) -> list[str]:
        flat = " ".join(html.unescape(text).split())
        return [note for note in notes if note in flat]

    replies, statuses = [], Counter()
    revisions: dict[str, dict] = {}
    for _, question in iter_questions(definition):
        key = question["key"]
        for answer in _vendor_posts(question):
            loaded = revisions.get(key, {f"{key}-revision": 0})  # as the page draws it
            data = {**answer, **loaded}
            reply = client.post(url("autosave", token, key), data, HTTP_ACCEPT="application/json")
            assert reply["Content-Type"].startswith("application/json"), key
            body = reply.json()
            statuses[body["status"]] += 1
            if "revision_field" in body:
                revisions[key] = {
                    body["revision_field"]: body["revision"],
                    body["loaded_field"]: body["loaded"],
                }
            replies += _strings(body)
    assert statuses["saved"] > 100, statuses  # drawn after real saves, not only refusals
    assert not leaked("\n".join(replies))

    download = client.get(url("workbook_download", token))
    assert download.status_code == 200
    texts = _workbook_texts(download.content)
    assert any(q["text"] in texts for _, q in iter_questions(definition))  # it was read
    assert not leaked("\n".join(texts))

    assert client.post(url("submit", token), {"confirm": "yes"}).status_code == 302
    response.refresh_from_db()
    assert response.status == ResponseStatus.SUBMITTED
    sent = client.get(url("sent", token))
    assert sent.status_code == 200
    assert "submitted" in sent.content.decode()
    assert not leaked(sent.content.decode())

"""The comparison page in the admin: from the response list, from a Selection, exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from questionnaires.models import ResponseStatus
from tests.factories import (
    ResponseFactory,
    SelectionFactory,
    VendorFactory,
    answer_all,
    round_of,
)
from tests.synthetic import answered_responses, generated_definition, import_definition

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:questionnaires_response_changelist")
COMPARE_URL = reverse("admin:questionnaires_response_compare")
EXPORT_URL = reverse("admin:questionnaires_response_compare_export")

CAREFUL = {
    "live_deployments": 40,
    "rollback_rate": 4,
    "live_monitoring": "realtime",
    "human_approval_money": "yes",
}
RECKLESS = {
    "live_deployments": 12,
    "rollback_rate": 30,
    "live_monitoring": "none",
    "human_approval_money": "no",
}


@pytest.fixture
def pair(example_version):
    careful = ResponseFactory(
        version=example_version,
        vendor=VendorFactory(name="Careful Co"),
        status=ResponseStatus.SUBMITTED,
    )
    reckless = ResponseFactory(
        version=example_version,
        vendor=VendorFactory(name="Reckless Inc"),
        status=ResponseStatus.SUBMITTED,
    )
    answer_all(careful, CAREFUL)
    answer_all(reckless, RECKLESS)
    return careful, reckless


def _ids(*responses) -> str:
    return ",".join(str(r.pk) for r in responses)


def _text(page) -> str:
    return page.content.decode()


def test_compare_action_opens_the_comparison_of_the_ticked_responses(client, analyst, pair):
    careful, reckless = pair

    page = client.post(
        LIST_URL,
        {"action": "compare_selected", "_selected_action": [reckless.pk, careful.pk]},
    )

    assert page.status_code == 302
    assert page["Location"] == f"{COMPARE_URL}?ids={_ids(careful, reckless)}"


def test_compare_action_refuses_different_questionnaires(client, analyst, pair):
    other = answered_responses(import_definition(generated_definition(key="other_check")), 1)[0]

    page = client.post(
        LIST_URL,
        {"action": "compare_selected", "_selected_action": [pair[0].pk, other.pk]},
        follow=True,
    )

    assert "answer different questionnaires" in _text(page)


def test_comparison_page_is_a_matrix_of_vendors_and_questions(client, analyst, pair):
    page = client.get(COMPARE_URL, {"ids": _ids(*pair)})

    html = _text(page)
    assert page.status_code == 200
    comparison = page.context["comparison"]
    assert [v.vendor_name for v in comparison.vendors] == ["Careful Co", "Reckless Inc"]
    assert html.count('class="cx-vendor-head"') == 2
    assert html.count('class="cx-section"') == 2
    assert "Subtotal" in html
    # Risk is a word and a colour, never colour alone.
    assert '<span class="cx-risk risk-severe">severe</span>' in html
    assert '<span class="cx-risk risk-low">low</span>' in html
    assert "Careful Co ranks first, Reckless Inc second." in html
    assert '<span class="cx-tier cx-tier-critical">Critical</span>' in html


def test_comments_are_behind_a_details_element(client, analyst, pair):
    careful, reckless = pair
    careful.answers.filter(question__key="live_monitoring").update(comment="24/7 NOC in Lisbon.")

    html = _text(client.get(COMPARE_URL, {"ids": _ids(careful, reckless)}))

    assert (
        '<details><summary>Comment</summary><div class="cx-comment">24/7 NOC in Lisbon.</div>'
        in html
    )


def test_profile_switch_rescores(client, analyst, pair):
    general = client.get(COMPARE_URL, {"ids": _ids(*pair)}).context["comparison"]
    finance = client.get(
        COMPARE_URL, {"ids": _ids(*pair), "profile": "financial_services"}
    ).context["comparison"]

    assert finance.profile_key == "financial_services"
    assert finance.vendors[0].result.score != pytest.approx(general.vendors[0].result.score)


def test_unknown_profile_falls_back_to_the_default_with_a_warning(client, analyst, pair):
    page = client.get(COMPARE_URL, {"ids": _ids(*pair), "profile": "healthcare"})

    assert page.context["comparison"].profile_key == "general"
    assert "Profile &#x27;healthcare&#x27; is not defined" in _text(page)
    assert "Showing the default profile instead." in _text(page)


def test_filters_and_ordering_controls(client, analyst, pair):
    careful, reckless = pair

    flagged = client.get(COMPARE_URL, {"ids": _ids(reckless, careful), "flagged": "1"})
    differing = client.get(COMPARE_URL, {"ids": _ids(reckless, careful), "differences": "1"})
    ordered = client.get(COMPARE_URL, {"ids": _ids(reckless, careful), "order": "risk"})

    assert [r.key for _, r in flagged.context["comparison"].rows()] == ["human_approval_money"]
    assert "Showing 1 of 7 questions" in _text(flagged)
    assert "monitoring_report" not in [r.key for _, r in differing.context["comparison"].rows()]
    assert [v.vendor_name for v in ordered.context["comparison"].vendors] == [
        "Careful Co",
        "Reckless Inc",
    ]
    assert 'value="risk" selected' in _text(ordered)


def test_bad_ids_go_back_to_the_list_with_an_explanation(client, analyst):
    page = client.get(COMPARE_URL, {"ids": "1,abc"}, follow=True)

    assert page.redirect_chain[-1][0] == LIST_URL
    assert "tick them in the response list" in _text(page)


def test_different_questionnaires_are_refused_on_the_page(client, analyst, pair):
    other = answered_responses(import_definition(generated_definition(key="other_check")), 1)[0]

    page = client.get(COMPARE_URL, {"ids": _ids(pair[0], other)}, follow=True)

    assert "only answers to the same questionnaire can be compared" in _text(page)


def test_versions_are_compared_on_shared_questions(client, analyst):
    first = generated_definition(sections=2, per_section=3)
    second = generated_definition(sections=2, per_section=3, version=2)
    second["sections"][1]["questions"].pop()
    v1, v2 = import_definition(first), import_definition(second)
    old, new = answered_responses(v1, 1, seed=1)[0], answered_responses(v2, 1, seed=2)[0]

    html = _text(client.get(COMPARE_URL, {"ids": _ids(old, new)}))

    assert "versions 1, 2 of the questionnaire" in html
    assert '<span class="cx-risk risk-not-asked">not asked</span>' in html


def test_versions_are_compared_under_the_profiles_they_share_in_the_newest_order(client, analyst):
    aviation = {"key": "aviation", "title": "Aviation"}
    first = generated_definition(sections=1, per_section=2)
    first["profiles"] += [{"key": "retail", "title": "Retail"}, aviation]
    second = generated_definition(sections=1, per_section=2, version=2)
    # The newest version puts financial services first (its default) and drops retail.
    second["profiles"].reverse()
    second["profiles"] += [aviation, {"key": "healthcare", "title": "Healthcare"}]
    v1, v2 = import_definition(first), import_definition(second)
    old, new = answered_responses(v1, 1, seed=1)[0], answered_responses(v2, 1, seed=2)[0]
    selection = SelectionFactory(profile_key="financial_services")
    selection.responses.set([old, new])

    comparison = client.get(COMPARE_URL, {"ids": _ids(old, new)}).context["comparison"]
    report_page = client.get(
        reverse("admin:questionnaires_report_request_comparison", args=[selection.pk])
    )

    shared = (
        ("financial_services", "Financial services"),
        ("general", "General"),
        ("aviation", "Aviation"),
    )
    assert comparison.profiles == shared
    assert comparison.profile_key == "financial_services"  # the newest version's first
    assert tuple(report_page.context["form"].fields["profile"].choices) == shared


def test_comparison_page_queries_do_not_grow_with_vendors_or_questions(client, analyst):
    small = import_definition(generated_definition(sections=2, per_section=3, key="small_check"))
    large = import_definition(generated_definition(sections=6, per_section=10, key="large_check"))
    two = answered_responses(small, 2)
    twelve = answered_responses(large, 12)
    client.get(COMPARE_URL, {"ids": _ids(*two)})  # warm the session

    with CaptureQueriesContext(connection) as few:
        assert client.get(COMPARE_URL, {"ids": _ids(*two)}).status_code == 200
    with CaptureQueriesContext(connection) as many:
        page = client.get(COMPARE_URL, {"ids": _ids(*twelve)})

    assert len(page.context["comparison"].vendors) == 12
    assert page.context["comparison"].total_rows == 60
    assert len(many) == len(few)


# Exports -----------------------------------------------------------------------------------


def test_xlsx_export_of_a_comparison(client, analyst, pair):
    page = client.get(
        EXPORT_URL, {"ids": _ids(*pair), "format": "xlsx", "profile": "financial_services"}
    )

    assert page["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="example_agent_check-comparison-' in page["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(page.content))
    assert workbook.sheetnames == ["Summary", "Matrix", "Answers", "Questions"]
    assert workbook["Summary"]["I1"].value == "Profile"
    assert workbook["Summary"]["I2"].value == "Financial services"
    assert workbook["Answers"].max_row == 1 + 2 * 7
    assert workbook["Matrix"].max_row == 1 + 2


def test_csv_exports_of_a_comparison(client, analyst, pair):
    answers = client.get(EXPORT_URL, {"ids": _ids(*pair), "format": "csv"})
    summary = client.get(EXPORT_URL, {"ids": _ids(*pair), "format": "csv", "part": "summary"})

    assert answers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(answers.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Vendor", "Product", "Round", "Response ID"]
    assert len(rows) == 1 + 2 * 7
    matrix = client.get(EXPORT_URL, {"ids": _ids(*pair), "format": "csv", "part": "matrix"})
    matrix_rows = list(csv.reader(io.StringIO(matrix.content.decode("utf-8-sig"))))
    assert matrix_rows[0][:3] == ["Vendor", "Rank", "Round"]
    assert len(matrix_rows) == 1 + 2
    assert "comparison-matrix-" in matrix["Content-Disposition"]
    summary_rows = list(csv.reader(io.StringIO(summary.content.decode("utf-8-sig"))))
    assert [r[0] for r in summary_rows[1:]] == ["Careful Co", "Reckless Inc"]
    assert "comparison-summary-" in summary["Content-Disposition"]


def test_unknown_export_format_explains(client, analyst, pair):
    page = client.get(EXPORT_URL, {"ids": _ids(*pair), "format": "pdf"}, follow=True)

    assert "use format=xlsx or format=csv" in _text(page)


def test_export_actions_on_the_response_list(client, analyst, pair):
    xlsx = client.post(
        LIST_URL, {"action": "export_selected_xlsx", "_selected_action": [r.pk for r in pair]}
    )
    csv_page = client.post(
        LIST_URL, {"action": "export_selected_csv", "_selected_action": [r.pk for r in pair]}
    )

    assert load_workbook(io.BytesIO(xlsx.content))["Answers"].max_row == 15
    assert csv_page.content.startswith(b"\xef\xbb\xbf")


def test_export_of_all_responses_to_a_questionnaire(client, analyst, pair, example_version):
    later = round_of(example_version, name="Contoso 2027")
    ResponseFactory(
        version=example_version, vendor=VendorFactory(name="Invited Only"), selection=later
    )
    url = reverse(
        "admin:questionnaires_response_questionnaire_export",
        args=[example_version.questionnaire_id],
    )

    page = client.get(url, {"format": "csv", "part": "summary"})
    answers = client.get(url, {"format": "csv"})

    rows = list(csv.reader(io.StringIO(page.content.decode("utf-8-sig"))))
    # Handed-over responses in rank order, then the one still being answered, unranked.
    assert [r[0] for r in rows[1:]] == ["Careful Co", "Reckless Inc", "Invited Only"]
    assert rows[3][rows[0].index("Rank")] == ""
    # Responses from many rounds: each row says which.
    rounds = {r[0]: r[rows[0].index("Round")] for r in rows[1:]}
    assert rounds["Invited Only"] == "Contoso 2027"
    assert rounds["Careful Co"] == ""  # answered outside any round
    answer_rows = list(csv.reader(io.StringIO(answers.content.decode("utf-8-sig"))))
    assert answer_rows[0][2] == "Round"
    assert {r[2] for r in answer_rows[1:] if r[0] == "Invited Only"} == {"Contoso 2027"}
    assert "all-responses-summary" in page["Content-Disposition"]
    compare_page = _text(client.get(COMPARE_URL, {"ids": _ids(*pair)}))
    assert f"{url}?format=xlsx" in compare_page


# Selections ------------------------------------------------------------------------------


def test_selection_has_a_compare_button_and_list_link(client, analyst, pair):
    selection = SelectionFactory(
        profile_key="financial_services", recommendation="Shortlist Careful Co for a pilot."
    )
    selection.responses.set(pair)
    compare = reverse("admin:questionnaires_selection_compare", args=[selection.pk])

    change = client.get(reverse("admin:questionnaires_selection_change", args=[selection.pk]))
    listing = client.get(reverse("admin:questionnaires_selection_changelist"))
    page = client.get(compare)

    assert compare in _text(change)
    assert compare in _text(listing)
    assert page.context["comparison"].profile_key == "financial_services"
    assert selection.name in _text(page)
    assert "<p>Shortlist Careful Co for a pilot.</p>" in _text(page)


def test_selection_export_uses_its_profile(client, analyst, pair):
    selection = SelectionFactory(profile_key="financial_services")
    selection.responses.set(pair)

    page = client.get(
        reverse("admin:questionnaires_selection_compare_export", args=[selection.pk]),
        {"format": "xlsx"},
    )

    assert load_workbook(io.BytesIO(page.content))["Summary"]["I2"].value == "Financial services"


def test_a_rounds_export_names_the_round_apart_from_the_all_rounds_export(client, analyst, pair):
    selection = SelectionFactory(name='Q4 CX agent round: Acme Bank / "EU" ' + "x" * 60)
    selection.responses.set(pair)
    export = reverse("admin:questionnaires_selection_compare_export", args=[selection.pk])

    for query in ({"format": "xlsx"}, {"format": "csv", "part": "summary"}):
        disposition = client.get(export, query)["Content-Disposition"]
        name = disposition.split('filename="')[1].rstrip('"')
        assert "-q4-cx-agent-round-acme-bank-eu-xxx" in name and "-selection" in name, name
        assert len(name) < 120 and '"' not in name and "/" not in name
    page = _text(client.get(reverse("admin:questionnaires_selection_compare", args=[selection.pk])))
    own, every = page.split('id="exports"')[1].split('id="exports-all-rounds"')
    assert "Export this round's comparison (its vendors only)" in own
    assert "/export/questionnaire/" not in own
    assert "Every round and buyer: all responses to this questionnaire" in every
    assert "do not send it to a buyer" in every


def test_empty_selection_says_what_to_do(client, analyst):
    selection = SelectionFactory()

    page = client.get(
        reverse("admin:questionnaires_selection_compare", args=[selection.pk]), follow=True
    )

    assert "This round has no vendors yet: invite vendors into it first." in _text(page)


def test_comparison_needs_a_staff_login(client, pair):
    page = client.get(COMPARE_URL, {"ids": _ids(*pair)})

    assert page.status_code == 302
    assert "/admin/login/" in page["Location"]


def test_selection_page_queries_do_not_grow_with_responses(client, analyst):
    version = import_definition(generated_definition(sections=1, per_section=2))
    selection = SelectionFactory()
    url = reverse("admin:questionnaires_selection_change", args=[selection.pk])
    answered_responses(version, 2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    answered_responses(version, 20, seed=3)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)

    assert page.status_code == 200
    assert len(many) == len(few)

"""Framework catalogues, a question's `controls`, and the coverage computed from them."""

from __future__ import annotations

import re

import pytest
import yaml
from django.urls import reverse
from django.utils.html import escape

from questionnaires.definition import InvalidDefinition, dump_definition, load_definition
from questionnaires.frameworks import CATALOGUE_DIR, InvalidCatalogue, catalogues, load_catalogue
from questionnaires.frameworks.coverage import controls_by_question, coverage
from questionnaires.services.definitions import questionnaire_import
from tests.conftest import SHIPPED_DEFINITION
from tests.factories import scored_submission

# What each shipped catalogue's IDs look like: the frameworks' own numbering schemes.
ID_PATTERNS = {
    "nist_ai_rmf": r"(GOVERN|MAP|MEASURE|MANAGE) \d\.\d{1,2}",
    "nist_ai_600_1": r"(GV|MP|MS|MG)-\d\.\d{1,2}-\d{3}",
    "eu_ai_act": r"Art\. \d{1,3}(\(\d{1,2}\))?",
    "iso_42001": r"A\.\d{1,2}\.\d(\.\d)?",
    "owasp_llm_2025": r"LLM(0[1-9]|10):2025",
    "csa_aicm": r"(A&A|AIS|BCR|CCC|CEK|DCS|DSP|GRC|HRS|IAM|IPY|I&S|LOG|MDS|SEF|STA|TVM|UEM)-\d{2}",
}
FUNCTIONS = {"GV": "GOVERN", "MP": "MAP", "MS": "MEASURE", "MG": "MANAGE"}

GOOD_CATALOGUE = """\
key: demo_fw
title: Demo framework
short_title: Demo
url: https://example.org/demo
note: Two controls.
controls:
  - {id: "D-1", title: "First"}
  - id: "D-2"
    title: "Second"
    scope: {out: "Only the buyer can do this."}
"""


def catalogue_errors(text: str, key: str = "demo_fw") -> list[str]:
    with pytest.raises(InvalidCatalogue) as info:
        load_catalogue(text, key=key, source="demo_fw.yaml")
    return info.value.errors


# The shipped catalogues ------------------------------------------------------------------


def test_every_framework_the_format_names_ships_a_catalogue():
    assert set(catalogues()) == set(ID_PATTERNS)
    assert {path.stem for path in CATALOGUE_DIR.glob("*.yaml")} == set(ID_PATTERNS)


@pytest.mark.parametrize("key", sorted(ID_PATTERNS))
def test_shipped_catalogue_loads_with_unique_ids_in_its_numbering_scheme(key):
    written = yaml.safe_load((CATALOGUE_DIR / f"{key}.yaml").read_text(encoding="utf-8"))
    ids = [control["id"] for control in written["controls"]]
    framework = catalogues()[key]

    assert len(ids) == len(set(ids)) == len(framework.controls)
    assert [i for i in ids if not re.fullmatch(ID_PATTERNS[key], i)] == []
    assert framework.title and framework.short_title and framework.note
    assert framework.url.startswith("https://")
    assert all(control.title for control in framework.controls.values())


def test_the_ai_rmf_lists_all_72_subcategories_and_the_owasp_list_all_ten():
    rmf = catalogues()["nist_ai_rmf"].controls
    assert len(rmf) == 72
    assert next(iter(rmf)) == "GOVERN 1.1" and list(rmf)[-1] == "MANAGE 4.3"
    counts = {f: sum(i.startswith(f + " ") for i in rmf) for f in FUNCTIONS.values()}
    assert counts == {"GOVERN": 19, "MAP": 18, "MEASURE": 22, "MANAGE": 13}
    assert list(catalogues()["owasp_llm_2025"].controls) == [
        f"LLM{n:02}:2025" for n in range(1, 11)
    ]
    assert len(catalogues()["iso_42001"].controls) == 38


def test_each_genai_profile_action_serves_a_subcategory_of_the_ai_rmf():
    rmf = catalogues()["nist_ai_rmf"].controls
    for action in catalogues()["nist_ai_600_1"].controls:
        function, subcategory, _ = action.split("-")
        assert f"{FUNCTIONS[function]} {subcategory}" in rmf, action


def test_selections_say_so_and_out_of_scope_controls_say_why():
    for key in ("nist_ai_600_1", "csa_aicm", "eu_ai_act"):
        assert "selection" in catalogues()[key].note.lower(), key
    out = {
        key: [c.id for c in framework.controls.values() if not c.in_scope]
        for key, framework in catalogues().items()
    }
    assert out["nist_ai_rmf"] == ["GOVERN 1.6", "MAP 1.3", "MAP 1.5", "MAP 1.6", "MANAGE 1.1"]
    assert out["eu_ai_act"] == ["Art. 27"]
    assert out["iso_42001"] == ["A.9.2", "A.9.3"]
    assert out["owasp_llm_2025"] == []
    for framework in catalogues().values():
        for control in framework.controls.values():
            assert control.in_scope or len(control.out_of_scope_reason.split()) >= 8, control


# Loading a catalogue ---------------------------------------------------------------------


def test_a_good_catalogue_loads_with_scope_defaulting_to_the_buyer():
    framework = load_catalogue(GOOD_CATALOGUE, key="demo_fw")
    assert framework.short_title == "Demo"
    assert framework.controls["D-1"].in_scope
    assert framework.controls["D-2"].out_of_scope_reason == "Only the buyer can do this."


def test_a_control_id_written_twice_is_refused():
    text = GOOD_CATALOGUE.replace('id: "D-2"', 'id: "D-1"')
    assert catalogue_errors(text) == [
        "controls[1].id: duplicate control ID 'D-1' (first at controls[0])"
    ]


def test_unknown_and_missing_fields_are_refused():
    text = GOOD_CATALOGUE.replace('title: "First"', 'titel: "First"')
    errors = catalogue_errors(text)
    assert errors[0].startswith("controls[0]: unknown field 'titel' (allowed: id, scope, title)")
    assert errors[1:] == ["controls[0]: missing required field 'title'"]
    assert catalogue_errors(GOOD_CATALOGUE.replace("note: Two controls.\n", "")) == [
        "(top level): missing required field 'note'"
    ]


def test_a_scope_is_buyer_or_out_with_a_reason():
    errors = catalogue_errors(
        GOOD_CATALOGUE.replace('{out: "Only the buyer can do this."}', "vendor")
    )
    assert errors == [
        "controls[1].scope: expected `buyer` (the default) or {out: <why>}, got 'vendor'"
    ]
    assert catalogue_errors(GOOD_CATALOGUE.replace('"Only the buyer can do this."', '""'))


def test_the_key_must_be_the_files_name_and_a_mapping_key_is_written_once():
    assert catalogue_errors(GOOD_CATALOGUE, key="other") == [
        "key: 'demo_fw' must be the file's name, 'other'"
    ]
    twice = GOOD_CATALOGUE.replace("short_title: Demo\n", "short_title: Demo\ntitle: Again\n")
    assert "'title' is written twice" in catalogue_errors(twice)[0]


# A question's controls in a definition -----------------------------------------------------

DEFINITION = """\
key: demo
title: Demo
version: 1
sections:
  - key: ops
    title: Operations
    questions:
      - key: kill_switch
        text: Can the agent be switched off at once?
        type: yes_no
        scoring: {yes: 0, no: 1}
        controls:
          nist_ai_rmf: ["MANAGE 2.4", "GOVERN 1.7"]
          eu_ai_act: ["Art. 14"]
      - key: monitoring
        text: How are conversations monitored?
        type: single_choice
        choices:
          - {key: live, label: Live, risk: 0}
          - {key: none, label: Not at all, risk: 1}
        controls:
          nist_ai_rmf: ["MEASURE 2.4", "MANAGE 2.4"]
      - key: deployments
        text: How many deployments are live?
        type: integer
        scoring:
          bands:
            - {max: 5, risk: 1}
            - {min: 5, risk: 0}
      - key: notes
        text: Anything else?
        type: text
profiles:
  - key: general
    title: General
"""


def definition_errors(text: str) -> list[str]:
    with pytest.raises(InvalidDefinition) as info:
        load_definition(text)
    return [str(e) for e in info.value.errors]


def with_controls(controls: str) -> str:
    """DEFINITION with the first question's `controls` replaced (indented YAML lines)."""
    start = DEFINITION.index("        controls:\n")
    end = DEFINITION.index("      - key: monitoring")
    return DEFINITION[:start] + controls + DEFINITION[end:]


def test_controls_are_stored_only_where_written_and_round_trip():
    definition = load_definition(DEFINITION)
    questions = definition["sections"][0]["questions"]
    assert questions[0]["controls"] == {
        "nist_ai_rmf": ["MANAGE 2.4", "GOVERN 1.7"],
        "eu_ai_act": ["Art. 14"],
    }
    assert "controls" not in questions[2]
    assert load_definition(dump_definition(definition)) == definition


def test_the_shipped_questionnaire_keeps_its_stored_form():
    """Definitions written before `controls` existed store exactly what they did."""
    definition = load_definition(SHIPPED_DEFINITION.read_text(encoding="utf-8"))
    questions = [q for s in definition["sections"] for q in s["questions"]]
    assert not any("controls" in q for q in questions)


def test_an_unknown_control_is_located_and_named():
    text = with_controls('        controls:\n          nist_ai_rmf: ["MANAGE 9.9"]\n')
    assert definition_errors(text) == [
        "sections[0].questions[0].controls.nist_ai_rmf[0] (line 13): "
        "'MANAGE 9.9' is not a control of NIST AI RMF 1.0"
    ]


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ('nist_ai_rmf: ["MANAGE 2.5"]', "MANAGE 2.4"),
        ('nist_ai_rmf: ["manage2.4"]', "MANAGE 2.4"),
        ('eu_ai_act: ["Art 14"]', "Art. 14"),
        ('owasp_llm_2025: ["LLM01"]', "LLM01:2025"),
        ('csa_aicm: ["AIS-8"]', "AIS-08"),
    ],
)
def test_a_near_miss_suggests_the_control_meant(written, meant):
    [error] = definition_errors(with_controls(f"        controls:\n          {written}\n"))
    assert error.endswith(f"(did you mean {meant!r}?)")


def test_an_unknown_framework_names_the_known_ones():
    [error] = definition_errors(
        with_controls('        controls:\n          owasp: ["LLM01:2025"]\n')
    )
    assert error.startswith(
        "sections[0].questions[0].controls.owasp (line 13): unknown framework 'owasp' "
        "(did you mean 'owasp_llm_2025'?)"
    )
    for key in catalogues():
        assert key in error


@pytest.mark.parametrize(
    ("controls", "message"),
    [
        (
            '["MANAGE 2.4"]',
            "expected a mapping of framework key to a list of control IDs, got a list",
        ),
        ('{nist_ai_rmf: "MANAGE 2.4"}', "expected a list of NIST AI RMF 1.0 control IDs, got text"),
        ("{nist_ai_rmf: []}", "list at least one control ID, or leave the framework out"),
        ("{nist_ai_rmf: [2.4]}", "expected a control ID written as text, got 2.4"),
        ('{nist_ai_rmf: ["MAP 1.1", "MAP 1.1"]}', "'MAP 1.1' is listed twice"),
    ],
)
def test_controls_of_the_wrong_shape_are_refused(controls, message):
    [error] = definition_errors(with_controls(f"        controls: {controls}\n"))
    assert error.startswith("sections[0].questions[0].controls")
    assert error.endswith(message)


# Coverage ------------------------------------------------------------------------------


def test_coverage_maps_each_control_to_its_questions():
    result = coverage(load_definition(DEFINITION))
    rmf = result.frameworks["nist_ai_rmf"]

    assert rmf.questions["MANAGE 2.4"] == ("kill_switch", "monitoring")
    assert rmf.questions["MEASURE 2.4"] == ("monitoring",)
    assert rmf.questions["MAP 1.1"] == ()
    assert list(rmf.questions) == list(catalogues()["nist_ai_rmf"].controls)
    assert rmf.covered == ("GOVERN 1.7", "MEASURE 2.4", "MANAGE 2.4")
    assert result.frameworks["eu_ai_act"].covered == ("Art. 14",)
    assert result.frameworks["owasp_llm_2025"].covered == ()


def test_coverage_lists_the_in_scope_controls_no_question_covers():
    rmf = coverage(load_definition(DEFINITION)).frameworks["nist_ai_rmf"]
    assert "MAP 1.1" in rmf.uncovered
    assert not {"GOVERN 1.7", "MEASURE 2.4", "MANAGE 2.4"} & set(rmf.uncovered)
    assert "MANAGE 1.1" not in rmf.uncovered  # out of scope for a buyer
    assert len(rmf.uncovered) == len(rmf.in_scope) - 3 == 72 - 5 - 3


def test_coverage_names_the_scored_questions_with_no_control():
    # monitoring has controls, notes is not scored: only deployments is left.
    assert coverage(load_definition(DEFINITION)).unmapped_scored == ("deployments",)


def test_coverage_reports_ids_a_catalogue_no_longer_has():
    definition = load_definition(DEFINITION)
    question = definition["sections"][0]["questions"][0]
    question["controls"] = {"nist_ai_rmf": ["MANAGE 2.4", "MANAGE 9.9"], "retired_fw": ["X-1"]}

    result = coverage(definition)

    assert result.frameworks["nist_ai_rmf"].unknown == {"MANAGE 9.9": ("kill_switch",)}
    assert result.unknown_frameworks == {"retired_fw": ("kill_switch",)}
    refs = controls_by_question(definition)["kill_switch"]
    assert [(r.framework, r.id, bool(r.title)) for r in refs] == [
        ("NIST AI RMF 1.0", "MANAGE 2.4", True),
        ("NIST AI RMF 1.0", "MANAGE 9.9", False),
        ("retired_fw", "X-1", False),
    ]


# The response page ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_response_page_shows_a_questions_controls_with_their_titles(client, analyst):
    version = questionnaire_import(text=DEFINITION, publish=True).version
    response = scored_submission(version, "Good Bots", {"kill_switch": "yes"})

    page = client.get(reverse("admin:questionnaires_response_change", args=[response.pk]))

    html = page.content.decode()
    rmf = catalogues()["nist_ai_rmf"].controls
    assert page.status_code == 200
    assert (
        f'<span title="{escape(rmf["MANAGE 2.4"].title)}">NIST AI RMF 1.0 MANAGE 2.4</span>'
        f' · <span title="{escape(rmf["GOVERN 1.7"].title)}">NIST AI RMF 1.0 GOVERN 1.7</span>'
    ) in html
    assert ">EU AI Act Art. 14</span>" in html
    assert html.count("NIST AI RMF 1.0 MANAGE 2.4") == 2  # kill_switch and monitoring

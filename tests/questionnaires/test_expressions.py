"""The expression evaluator (questionnaires.expressions): its semantics, and agreement
with simpleeval as an independent oracle over the same operators and functions."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simpleeval import EvalWithCompoundTypes

from questionnaires import expressions


def oracle(source: str, values: dict) -> bool:
    """simpleeval walking the parsed tree with the product's operators and functions."""
    parsed = expressions.parse(source)
    names = {name: values.get(name) for name in parsed.names}
    # parse() admits list and tuple literals (`x in ['a', 'b']`), which plain SimpleEval
    # cannot evaluate; parse() still rejects every other compound node.
    evaluator = EvalWithCompoundTypes(
        operators=expressions.OPERATORS, functions=expressions.FUNCTIONS, names=names
    )
    try:
        return bool(evaluator.eval(parsed.source, previously_parsed=parsed.tree.body))
    except TypeError:
        return False


EXAMPLE_ANSWERS = [
    {},
    {
        "live_deployments": 40,
        "rollback_rate": 4,
        "rollback_reasons": ["latency"],
        "live_monitoring": "realtime",
        "human_approval_money": "yes",
    },
    {"rollback_rate": 0, "live_monitoring": "none", "live_deployments": 0},
    {"rollback_reasons": ["cost", "latency"], "kill_switch_owner": "CTO"},
    {"rollback_rate": "twelve", "live_deployments": [1]},
]


@pytest.mark.parametrize(
    "source",
    [
        "rollback_rate <= 1 and live_monitoring == 'none'",
        "live_deployments > 0",
        "0 < rollback_rate < 10",
        "'cost' in rollback_reasons or count(rollback_reasons) >= 2",
        "live_monitoring in ['none', 'sampled']",
        "live_monitoring not in ('none',)",
        "not answered(kill_switch_owner)",
        "rollback_rate / live_deployments * 100 > 5",
        "-rollback_rate < -5",
    ],
)
def test_the_evaluator_agrees_with_the_oracle_on_examples(source):
    for values in EXAMPLE_ANSWERS:
        assert expressions.evaluate(source, values) == oracle(source, values), values


answer_values = st.one_of(
    st.none(),
    st.integers(-5, 105),
    st.floats(-5, 105, allow_nan=False),
    st.sampled_from(["yes", "no", "none", "sampled", "", "x"]),
    st.lists(st.sampled_from(["a", "b", "c"]), max_size=3),
)
sources = st.sampled_from(
    [
        "a > 5 and b == 'yes'",
        "a <= 1 or not answered(b)",
        "1 < a < 50",
        "'a' in c and count(c) >= 2",
        "b in ['yes', 'sampled']",
        "b not in ('no',)",
        "a * 2 - 10 >= c",
        "-a < -5",
        "a / 0 > 1",
        "a == b",
        "a != 3",
        "b == 'yes' or c == ['a']",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sources, st.fixed_dictionaries({"a": answer_values, "b": answer_values, "c": answer_values}))
def test_the_evaluator_agrees_with_the_oracle(source, values):
    assert expressions.compile_expression(source)(values) == oracle(source, values)


@pytest.mark.parametrize(
    ("source", "values", "holds"),
    [
        ("a > 5", {}, False),  # unanswered: a comparison with None is false
        ("a != 5", {}, False),  # ... in both directions
        ("not a > 5", {}, True),
        ("a / b > 1", {"a": 3, "b": 0}, False),  # division by zero gives None
        ("a > 'x'", {"a": 3}, False),  # types that do not compare
        ("'x' not in a", {"a": 3}, True),
        ("answered(a)", {"a": []}, False),
        ("count(a) == 2", {"a": ["x", "y"]}, True),
    ],
)
def test_missing_and_mismatched_answers(source, values, holds):
    assert expressions.evaluate(source, values) is holds


def test_an_expression_compiles_once_and_is_shared():
    assert expressions.compile_expression("a > 1") is expressions.compile_expression("a > 1")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("__import__('os')", "unknown function"),
        ("a.b", "Attribute is not allowed"),
        ("[x for x in a]", "ListComp is not allowed"),
        ("a if b else c", "IfExp is not allowed"),
        ("answered(a, b)", "takes exactly one question key"),
        ("", "the expression is empty"),
    ],
)
def test_parse_refuses_what_is_not_allowed(source, message):
    with pytest.raises(expressions.ExpressionError, match=message):
        expressions.compile_expression(source)

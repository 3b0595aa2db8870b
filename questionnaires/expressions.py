"""Safe expressions over answers, for `show_if` conditions and flag rules.

Parsed with Python's `ast` (never evaluated by Python) and restricted at parse time to
comparisons, boolean logic, arithmetic, list literals and two functions; `parse` checks
that and names what is wrong. `compile_expression` turns a parsed expression into a
closure, the one evaluator: validation, visibility and scoring all run it. A comparison
or arithmetic step that involves an unanswered question (None) is false or None, so a
condition on a missing answer hides its question and a rule never fires on missing data.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

Values = Mapping[str, Any]
# A compiled part of an expression: its value for the answers' values.
Compiled = Callable[[Values], Any]


class ExpressionError(ValueError):
    """The expression cannot be used; the message says why in plain words."""


def is_answered(value: Any) -> bool:
    """Whether a stored value counts as an answer: anything but None, "" and []."""
    return value not in (None, "", [])


def _count(value: Any) -> int:
    return len(value) if isinstance(value, list) else 0


FUNCTIONS: dict[str, Callable[[Any], Any]] = {"answered": is_answered, "count": _count}


Binary = Callable[[Any, Any], Any]


def _none_safe(op: Binary, fallback: Any, errors: tuple[type[Exception], ...]) -> Binary:
    """op, giving `fallback` when either side is None or op raises one of `errors`."""

    def apply(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return fallback
        try:
            return op(a, b)
        except errors:
            return fallback

    return apply


def _compare(op: Binary) -> Binary:
    return _none_safe(op, False, (TypeError,))


def _arith(op: Binary) -> Binary:
    return _none_safe(op, None, (TypeError, ZeroDivisionError))


_contains = _compare(lambda item, container: item in container)


def _not_contains(item: Any, container: Any) -> bool:
    if item is None or container is None:
        return False
    return not _contains(item, container)


OPERATORS: dict[type[ast.AST], Callable[..., Any]] = {
    ast.Eq: _compare(operator.eq),
    ast.NotEq: _compare(operator.ne),
    ast.Lt: _compare(operator.lt),
    ast.LtE: _compare(operator.le),
    ast.Gt: _compare(operator.gt),
    ast.GtE: _compare(operator.ge),
    ast.In: _contains,
    ast.NotIn: _not_contains,
    ast.Add: _arith(operator.add),
    ast.Sub: _arith(operator.sub),
    ast.Mult: _arith(operator.mul),
    ast.Div: _arith(operator.truediv),
    ast.Not: operator.not_,
    ast.USub: lambda a: None if a is None else -a,
}

_ALLOWED_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.Compare,
    ast.BinOp,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Call,
    ast.List,
    ast.Tuple,
    *OPERATORS.keys(),
)


@dataclass(frozen=True)
class ParsedExpression:
    source: str
    tree: ast.Expression
    names: frozenset[str]
    # (question key, string literal) pairs compared with ==, !=, in, not in.
    string_comparisons: tuple[tuple[str, str], ...]


@lru_cache(maxsize=2048)
def parse(source: str) -> ParsedExpression:
    """Parse and check an expression; raise ExpressionError saying what is wrong."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("the expression is empty")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse expression {source!r}: {exc.msg}") from None
    names: set[str] = set()
    for node in ast.walk(tree):
        _check_node(node, source)
        if isinstance(node, ast.Name) and node.id not in FUNCTIONS:
            names.add(node.id)
    return ParsedExpression(
        source=source,
        tree=tree,
        names=frozenset(names),
        string_comparisons=tuple(_string_comparisons(tree)),
    )


def _check_node(node: ast.AST, source: str) -> None:
    if not isinstance(node, _ALLOWED_NODES):
        raise ExpressionError(
            f"{type(node).__name__} is not allowed in expression {source!r}; use "
            "comparisons, and/or/not, arithmetic, answered(q) and count(q)"
        )
    if isinstance(node, ast.Constant) and not isinstance(
        node.value, (str, int, float, bool, type(None))
    ):
        raise ExpressionError(f"constant {node.value!r} is not allowed in {source!r}")
    if isinstance(node, ast.Call):
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
            raise ExpressionError(
                f"unknown function in {source!r}: only answered(q) and count(q) exist"
            )
        if node.keywords or len(node.args) != 1 or not isinstance(node.args[0], ast.Name):
            raise ExpressionError(f"{func.id}() takes exactly one question key in {source!r}")


def _string_comparisons(tree: ast.AST) -> Iterator[tuple[str, str]]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for left, op, right in zip(operands, node.ops, operands[1:], strict=False):
            if not isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)):
                continue
            for name_node, other in ((left, right), (right, left)):
                if isinstance(name_node, ast.Name) and name_node.id not in FUNCTIONS:
                    yield from ((name_node.id, s) for s in _string_literals(other))


def _string_literals(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, (ast.List, ast.Tuple)):
        for element in node.elts:
            yield from _string_literals(element)


def evaluate(source: str, values: Values) -> bool:
    """True when the expression holds for these answers (missing names are None)."""
    return compile_expression(source)(values)


# Expressions compiled to closures ------------------------------------------------------------
#
# parse has already restricted the tree to a handful of node types; each becomes a
# closure. The semantics are those of OPERATORS and FUNCTIONS applied to the tree as
# written, with a TypeError anywhere making the whole expression false.


@lru_cache(maxsize=2048)
def compile_expression(source: str) -> Callable[[Values], bool]:
    """The expression as a function of the answers' values (missing names are None).

    Raises ExpressionError as parse does. Compiled once per source and process: the
    function keeps no state, so every caller can share it.
    """
    node = _compile_node(parse(source).tree.body)

    def holds(values: Values) -> bool:
        try:
            return bool(node(values))
        except TypeError:
            return False

    return holds


def _compile_node(node: ast.AST) -> Compiled:
    if isinstance(node, ast.Constant):
        constant = node.value
        return lambda values: constant
    if isinstance(node, ast.Name):
        key = node.id
        if key in FUNCTIONS:
            function = FUNCTIONS[key]
            return lambda values: function
        return lambda values: values.get(key)
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)  # parse admits only calls of FUNCTIONS
        function = FUNCTIONS[node.func.id]
        args = [_compile_node(a) for a in node.args]
        return lambda values: function(*[a(values) for a in args])
    if isinstance(node, (ast.List, ast.Tuple)):
        elements = [_compile_node(e) for e in node.elts]
        if isinstance(node, ast.Tuple):
            return lambda values: tuple(e(values) for e in elements)
        return lambda values: [e(values) for e in elements]
    if isinstance(node, ast.UnaryOp):
        unary = OPERATORS[type(node.op)]
        operand = _compile_node(node.operand)
        return lambda values: unary(operand(values))
    if isinstance(node, ast.BinOp):
        binary = OPERATORS[type(node.op)]
        left, right = _compile_node(node.left), _compile_node(node.right)
        return lambda values: binary(left(values), right(values))
    if isinstance(node, ast.BoolOp):
        return _compile_boolop(node)
    if isinstance(node, ast.Compare):
        return _compile_compare(node)
    raise ExpressionError(f"{type(node).__name__} is not allowed in an expression")


def _compile_boolop(node: ast.BoolOp) -> Compiled:
    parts = [_compile_node(v) for v in node.values]
    if isinstance(node.op, ast.And):

        def all_of(values: Values) -> Any:
            result = False
            for part in parts:
                result = part(values)
                if not result:
                    break
            return result

        return all_of

    def any_of(values: Values) -> Any:
        result = False
        for part in parts:
            result = part(values)
            if result:
                break
        return result

    return any_of


def _compile_compare(node: ast.Compare) -> Compiled:
    first = _compile_node(node.left)
    steps = [
        (OPERATORS[type(op)], _compile_node(comparator))
        for op, comparator in zip(node.ops, node.comparators, strict=True)
    ]

    def compare(values: Values) -> Any:
        right = first(values)
        result = True
        for operation, comparator in steps:
            if not result:
                break
            left, right = right, comparator(values)
            result = operation(left, right)
        return result

    return compare

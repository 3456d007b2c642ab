"""When to try again: durations, ``Retry-After``, the default backoff, ``Upstash-Retry-Delay``.

The retry-delay expression is user input evaluated on every retry, so it is interpreted by
walking its syntax tree with a fixed set of operators and functions, never with ``eval``.
"""

from __future__ import annotations

import ast
import contextlib
import math
import operator
from collections.abc import Callable

from tats_core.retry import ONE_DAY, parse_duration, parse_retry_after
from tats_core.wording import plural

__all__ = ["default_backoff", "next_retry_delay", "parse_duration", "parse_retry_after"]

MAX_EXPRESSION_LENGTH = 500


def default_backoff(retry_number: int) -> float:
    """QStash's default wait in seconds before retry ``retry_number`` (1, 2, ...)."""
    return min(ONE_DAY, math.exp(2.5 * retry_number))


class ExpressionError(Exception):
    """The retry-delay expression uses syntax or names outside the allowed set."""


_FUNCTIONS: dict[str, Callable[..., float]] = {
    "pow": math.pow,
    "sqrt": math.sqrt,
    "abs": abs,
    "exp": math.exp,
    "floor": math.floor,
    "ceil": math.ceil,
    "round": round,
    "min": min,
    "max": max,
}
_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}


def compile_retry_delay(expression: str) -> ast.Expression:
    """Parse and check an ``Upstash-Retry-Delay`` expression; raises ``ExpressionError``."""
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError("retry delay expression is too long")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, RecursionError, ValueError) as exc:
        raise ExpressionError(f"retry delay expression is not valid: {exc}") from None
    # Arithmetic errors mean well-formed but undefined for this ``retried``; that is allowed.
    with contextlib.suppress(ArithmeticError, ValueError):
        _evaluate(tree.body, 1.0)
    return tree


def evaluate_retry_delay(tree: ast.Expression, retried: int) -> float:
    """Milliseconds the expression gives for ``retried``; may raise ArithmeticError/ValueError."""
    return _evaluate(tree.body, float(retried))


def _evaluate(node: ast.expr, retried: float) -> float:
    match node:
        case ast.Constant(value=int() | float() as value) if not isinstance(value, bool):
            return float(value)
        case ast.Name(id="retried"):
            return retried
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return -_evaluate(operand, retried)
        case ast.UnaryOp(op=ast.UAdd(), operand=operand):
            return _evaluate(operand, retried)
        case ast.BinOp(left=left, op=op, right=right) if type(op) in _BINARY:
            return _BINARY[type(op)](_evaluate(left, retried), _evaluate(right, retried))
        case ast.Call(func=ast.Name(id=name), args=args, keywords=[]) if name in _FUNCTIONS:
            values = [_evaluate(arg, retried) for arg in args]
            try:
                return float(_FUNCTIONS[name](*values))
            except TypeError as exc:
                raise ExpressionError(
                    f"{name}() called with {plural(len(values), 'argument')}"
                ) from exc
    raise ExpressionError(f"not allowed in a retry delay expression: {ast.unparse(node)!r}")


def next_retry_delay(
    retry_number: int,
    *,
    expression: str | None,
    retry_after: str | None,
    scale: float,
    now: float | None = None,
) -> float:
    """Seconds before retry ``retry_number``: Retry-After, else the expression, else the default.

    ``scale`` shortens only the default backoff (for development); a delay the destination or
    the publisher asked for explicitly is honoured as given.
    """
    if retry_after is not None:
        seconds = parse_retry_after(retry_after, now=now)
        if seconds is not None:
            return seconds
    if expression is not None:
        try:
            # ``retried`` counts from 0 at the first retry, per Upstash's documentation.
            millis = evaluate_retry_delay(compile_retry_delay(expression), retry_number - 1)
        except OverflowError:
            return ONE_DAY
        except (ArithmeticError, ValueError, ExpressionError):
            millis = math.nan
        if not math.isnan(millis):
            return min(ONE_DAY, max(0.0, millis / 1000))
    return default_backoff(retry_number) * scale

"""Compare the *shape* of JSON answers: the same keys and the same types at every level.

A fake or a simulator that answers what we believe a service sends, rather than what it
really sends, is how the Linky entry came to work in tests and never load for real users (the
contract is a top-level array, not an object). Tests compare every fake / simulator answer
with a real capture through :func:`assert_same_shape`, so the two cannot drift apart again.

Rules:
- an object has exactly the keys of the capture's object (no more, no fewer), each value with
  the same shape;
- a list: every element has the shape of one element of the capture's list (the capture's
  elements may differ, e.g. a supply and an injection contract); a list that is empty in the
  capture must be empty too (nothing is known of its elements);
- a scalar has the same JSON type (string, integer, number, boolean, null); a number
  written as a string stays a string.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
from typing import Any


def json_type(value: Any) -> str:
    """The JSON type of a decoded value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"Not a JSON value: {type(value).__name__}")


def shape_differences(actual: Any, expected: Any, path: str = "$") -> Iterator[str]:
    """Yield one line per difference between the shapes of ``actual`` and ``expected``."""
    kind, wanted = json_type(actual), json_type(expected)
    if kind != wanted:
        yield f"{path}: {kind} instead of {wanted}"
        return
    if kind == "object":
        for key in sorted(expected.keys() - actual.keys()):
            yield f"{path}.{key}: missing"
        for key in sorted(actual.keys() - expected.keys()):
            yield f"{path}.{key}: not in the capture"
        for key in sorted(expected.keys() & actual.keys()):
            yield from shape_differences(actual[key], expected[key], f"{path}.{key}")
    elif kind == "array":
        if not expected and actual:
            yield f"{path}: {len(actual)} element(s) where the capture's list is empty"
            return
        for index, element in enumerate(actual):
            candidates = [list(shape_differences(element, model, "")) for model in expected]
            if all(candidates):  # no element of the capture has this shape
                best = min(candidates, key=len)
                yield from (f"{path}[{index}]{line}" for line in best)


def assert_same_shape(actual: Any, expected: Any) -> None:
    """Fail with every difference when ``actual`` does not have the shape of ``expected``."""
    differences = list(shape_differences(actual, expected))
    assert not differences, "Shape differs from the capture:\n" + "\n".join(differences)


def load_json(path: Path | str) -> Any:
    """Decode a JSON file (a capture)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))

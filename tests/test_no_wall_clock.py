"""No unit test asserts a wall-clock duration: on a busy machine such a limit fails at random.

Timings belong to the benchmarks (``@pytest.mark.bench``, ``tests/*/test_bench.py``, run by
``script/bench``); ``script/test-busy`` runs the suite with every CPU busy. This check reads the
test sources: an ``assert`` that uses a real clock (``time.monotonic()``, ``perf_counter()``,
``time.time()``, ``os.times()``, ``loop.time()``, ``clock_gettime``) or a variable taken from
one, in a test that is not a benchmark, is reported.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
CLOCKS = {"monotonic", "perf_counter", "time", "times", "clock_gettime", "monotonic_ns"}
# Files allowed to keep a timing assertion for now (none: add one only with an issue to clean it).
PENDING: set[str] = set()


def _is_clock(node: ast.AST, clock_names: set[str]) -> bool:
    """A clock reading: ``time.monotonic()``, ``os.times().elapsed``, ``now - started``…"""
    match node:
        case ast.Call(func=ast.Attribute(attr=attr)) if attr in CLOCKS:
            return True
        case ast.Name(id=name):
            return name in clock_names
        case ast.Attribute(value=value):
            return _is_clock(value, clock_names)
        case ast.BinOp(left=left, right=right):
            return _is_clock(left, clock_names) or _is_clock(right, clock_names)
    return False


def _asserts_on_clock(test: ast.AST, clock_names: set[str]) -> bool:
    return any(
        isinstance(node, ast.Compare)
        and any(_is_clock(side, clock_names) for side in (node.left, *node.comparators))
        for node in ast.walk(test)
    )


def _is_bench(node: ast.AST) -> bool:
    return "bench" in ast.unparse(node)


def wall_clock_assertions(source: str) -> list[int]:
    """Line numbers of the asserts on a real clock in the non-benchmark tests of ``source``."""
    module = ast.parse(source)
    for statement in module.body:  # pytestmark = pytest.mark.bench: a benchmark module
        if (
            isinstance(statement, ast.Assign)
            and any(getattr(target, "id", "") == "pytestmark" for target in statement.targets)
            and _is_bench(statement.value)
        ):
            return []
    lines: list[int] = []
    for function in ast.walk(module):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) or any(
            _is_bench(decorator) for decorator in function.decorator_list
        ):
            continue
        clock_names: set[str] = set()
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and _is_clock(node.value, clock_names):
                clock_names.update(
                    target.id for target in node.targets if isinstance(target, ast.Name)
                )
        lines.extend(
            node.lineno
            for node in ast.walk(function)
            if isinstance(node, ast.Assert) and _asserts_on_clock(node.test, clock_names)
        )
    return sorted(lines)


def test_the_check_finds_a_duration_limit() -> None:
    source = (
        "import time\n"
        "def test_fast():\n"
        "    started = time.monotonic()\n"
        "    work()\n"
        "    assert time.monotonic() - started < 1.0\n"
        "    elapsed = time.perf_counter() - started\n"
        "    assert elapsed < 2, elapsed\n"
        "    saved = {'expires_at': time.time() + 60}\n"
        "    assert saved['expires_at']\n"
        "@pytest.mark.bench\n"
        "def test_bench():\n"
        "    started = time.perf_counter()\n"
        "    assert time.perf_counter() - started < 1.0\n"
    )

    assert wall_clock_assertions(source) == [5, 7]
    assert wall_clock_assertions(f"pytestmark = pytest.mark.bench\n{source}") == []


def test_no_unit_test_asserts_a_wall_clock_duration() -> None:
    found = {
        f"{path.relative_to(TESTS)}:{line}"
        for path in sorted(TESTS.rglob("test_*.py"))
        if path.name != "test_bench.py" and str(path.relative_to(TESTS)) not in PENDING
        for line in wall_clock_assertions(path.read_text("utf-8"))
    }

    assert sorted(found) == []

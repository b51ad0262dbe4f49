"""Hand-rolled mutation testing: one mutant at a time, the module's tests run on each.

Usage (inside the environment, from the repository):
    python tools/mutate.py custom_components/delestage/rte/schedule.py tests/rte/test_schedule.py

Mutations, the kinds issue 13 names: comparison and arithmetic operators, ``and``/``or``, ``not``
dropped, ``min``/``max`` swapped, numeric constants (+1) and booleans, time zones dropped
(``x.astimezone(tz)`` -> ``x``, a ``tzinfo=``/third ``combine`` argument removed), and dropped
statements (calls, augmented and subscript/attribute assignments, ``continue``). Docstrings,
strings, annotations and decorators (``@dataclass(frozen=True)``) are left alone. Each mutant is
written into a scratch copy of the repository (never the working tree) and the given tests run
with ``-x``; a failure, error or timeout kills it. Prints one line per survivor and the
totals; ``--json FILE`` keeps them.
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass
import io
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile

COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
}


@dataclass
class Mutant:
    """One mutation: where, what, and how to apply it to a fresh tree."""

    index: int
    line: int
    description: str


class _Annotations(ast.NodeVisitor):
    """Collects the ids of nodes inside annotations and docstrings (never mutated)."""

    def __init__(self) -> None:
        self.skip: set[int] = set()

    def _mark(self, node: ast.AST | None) -> None:
        if node is not None:
            self.skip.update(id(child) for child in ast.walk(node))

    def visit_arg(self, node: ast.arg) -> None:
        self._mark(node.annotation)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._mark(node.returns)
        self._docstring(node)
        self._decorators(node)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._docstring(node)
        self._decorators(node)
        self.generic_visit(node)

    def _decorators(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        # ``@dataclass(frozen=True, slots=True)`` and the like: declarations, not behaviour.
        for decorator in node.decorator_list:
            self._mark(decorator)

    def visit_Module(self, node: ast.Module) -> None:
        self._docstring(node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._mark(node.annotation)
        self.generic_visit(node)

    def _docstring(self, node: ast.AST) -> None:
        body = getattr(node, "body", [])
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            self._mark(body[0])


def _candidates(tree: ast.Module) -> Iterator[tuple[ast.AST, str, str]]:
    """Yield (node, kind, description) for every mutation of the tree, in a stable order."""
    marker = _Annotations()
    marker.visit(tree)
    for node in ast.walk(tree):
        if id(node) in marker.skip:
            continue
        if isinstance(node, ast.Compare):
            for position, op in enumerate(node.ops):
                if type(op) in COMPARE_SWAPS:
                    new = COMPARE_SWAPS[type(op)].__name__
                    yield node, f"cmp:{position}", f"{type(op).__name__} -> {new}"
        elif isinstance(node, ast.BinOp) and type(node.op) in BINOP_SWAPS:
            new = BINOP_SWAPS[type(node.op)].__name__
            yield node, "binop", f"{type(node.op).__name__} -> {new}"
        elif isinstance(node, ast.BoolOp):
            yield node, "boolop", f"{type(node.op).__name__} swapped"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "not", "not dropped"
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                yield node, "bool", f"{node.value} -> {not node.value}"
            elif isinstance(node.value, int | float):
                yield node, "num", f"{node.value!r} -> {node.value + 1!r}"
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in ("min", "max"):
                yield node, "minmax", f"{func.id} -> {'max' if func.id == 'min' else 'min'}"
            if isinstance(func, ast.Attribute) and func.attr == "astimezone" and node.args:
                yield node, "astimezone", "astimezone(tz) dropped"
            if isinstance(func, ast.Attribute) and func.attr == "combine" and len(node.args) == 3:
                yield node, "combine_tz", "combine(..., tz) -> naive"
            for position, keyword in enumerate(node.keywords):
                if keyword.arg == "tzinfo":
                    yield node, f"tzinfo:{position}", "tzinfo= dropped"
        if isinstance(node, ast.stmt) and _droppable(node):
            yield node, "drop", f"statement dropped: {ast.unparse(node).splitlines()[0][:60]}"


def _droppable(node: ast.stmt) -> bool:
    if isinstance(node, ast.Expr):
        return isinstance(node.value, ast.Call | ast.Await)
    if isinstance(node, ast.AugAssign | ast.Continue | ast.Break):
        return True
    if isinstance(node, ast.Assign):
        return all(isinstance(target, ast.Subscript | ast.Attribute) for target in node.targets)
    return False


def _apply(node: ast.AST, kind: str, tree: ast.Module) -> None:
    """Mutate ``node`` of ``tree`` in place."""
    if kind.startswith("cmp:"):
        assert isinstance(node, ast.Compare)
        position = int(kind.split(":")[1])
        node.ops[position] = COMPARE_SWAPS[type(node.ops[position])]()
    elif kind == "binop":
        assert isinstance(node, ast.BinOp)
        node.op = BINOP_SWAPS[type(node.op)]()
    elif kind == "boolop":
        assert isinstance(node, ast.BoolOp)
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "not":
        _replace(tree, node, node.operand)  # type: ignore[attr-defined]
    elif kind == "bool":
        node.value = not node.value  # type: ignore[attr-defined]
    elif kind == "num":
        node.value = node.value + 1  # type: ignore[attr-defined]
    elif kind == "minmax":
        func = node.func  # type: ignore[attr-defined]
        func.id = "max" if func.id == "min" else "min"
    elif kind == "astimezone":
        _replace(tree, node, node.func.value)  # type: ignore[attr-defined]
    elif kind == "combine_tz":
        node.args = node.args[:2]  # type: ignore[attr-defined]
    elif kind.startswith("tzinfo:"):
        del node.keywords[int(kind.split(":")[1])]  # type: ignore[attr-defined]
    elif kind == "drop":
        _replace(tree, node, ast.Pass())
    else:  # pragma: no cover
        raise ValueError(kind)


def _replace(tree: ast.Module, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
                return
            if isinstance(value, list):
                for index, item in enumerate(value):
                    if item is old:
                        value[index] = new
                        return
    raise LookupError(old)


def mutants(source: str) -> Iterator[tuple[Mutant, str]]:
    """Yield every mutant of ``source`` with its mutated source text."""
    tree = ast.parse(source)
    count = len(list(_candidates(tree)))
    for index in range(count):
        fresh = ast.parse(source)
        node, kind, description = list(_candidates(fresh))[index]
        line = getattr(node, "lineno", 0)
        _apply(node, kind, fresh)
        ast.fix_missing_locations(fresh)
        yield Mutant(index, line, description), ast.unparse(fresh)


def _subprocess(scratch: Path, args: argparse.Namespace) -> Callable[[], bool]:
    """Run the tests in a new interpreter each time; True when they pass."""
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", *args.tests]

    def run() -> bool:
        try:
            result = subprocess.run(
                command, cwd=scratch, capture_output=True, timeout=args.timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return False
        return result.returncode == 0

    return run


def _in_process(scratch: Path, tests: list[str]) -> Callable[[], bool]:
    """Run the tests in this interpreter (Home Assistant imported once: much faster).

    The package and the tests are dropped from ``sys.modules`` before each run, so that each
    session imports the mutated file. An endless loop is stopped by pytest-timeout (pyproject).
    """
    import pytest  # noqa: PLC0415 - only inside the test environment

    os.chdir(scratch)
    sys.path.insert(0, str(scratch))

    def run() -> bool:
        for name in list(sys.modules):
            if name.split(".")[0] in ("custom_components", "tests"):
                del sys.modules[name]
        with contextlib.redirect_stdout(io.StringIO()):
            code = pytest.main(["-x", "-q", "-p", "no:randomly", *tests])
        return code == pytest.ExitCode.OK

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module")
    parser.add_argument("tests", nargs="+")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--timeout", type=float, default=240)
    parser.add_argument("--only", type=int, nargs="*", help="mutant indexes to run")
    parser.add_argument("--in-process", action="store_true", help="one interpreter for all runs")
    args = parser.parse_args()
    repo = Path.cwd()
    if args.json is not None:
        args.json = args.json.resolve()  # the in-process runs change directory
    source = (repo / args.module).read_text()
    scratch = Path(tempfile.mkdtemp(prefix="mutate-"))
    for part in ("custom_components", "tests", "tools", "blueprints", "pyproject.toml"):
        path = repo / part
        if path.is_dir():
            shutil.copytree(path, scratch / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(path, scratch / part)
    target = scratch / args.module
    # The unmutated module, unparsed the same way, must pass (else nothing is measured).
    target.write_text(ast.unparse(ast.parse(source)))
    run = _in_process(scratch, args.tests) if args.in_process else _subprocess(scratch, args)
    if not run():
        print("The tests fail without any mutation", file=sys.stderr)
        return 2
    killed, survivors = 0, []
    for mutant, text in mutants(source):
        if args.only is not None and mutant.index not in args.only:
            continue
        target.write_text(text)
        dead = not run()
        if dead:
            killed += 1
        else:
            survivors.append(mutant)
            print(f"SURVIVED #{mutant.index} line {mutant.line}: {mutant.description}", flush=True)
    total = killed + len(survivors)
    print(f"{args.module}: {total} mutants, {killed} killed, {len(survivors)} survived", flush=True)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "module": args.module,
                    "total": total,
                    "killed": killed,
                    "survivors": [mutant.__dict__ for mutant in survivors],
                },
                indent=1,
            )
        )
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""One direction through the integration: no import cycle, no import from a lower layer up.

The layers (DESIGN.md §3), lowest first; a module may import its own layer and the ones below:

- ``api``: HTTP clients and file parsers (no Home Assistant);
- ``core``: what every part shares: constants, the runtime base, flow and repair-issue helpers,
  texts in the server's language, and ``hub`` (the interface through which sources publish and
  features subscribe);
- ``sources``: one package per entry type; a source imports no other source and no feature;
- ``features``: what combines sources (tariff, report, shedding, forecast, anticipation); a
  feature may import another feature (never in a cycle);
- ``glue``: the integration's set-up, config flow, actions, diagnostics, repairs and platforms.

Every import counts, at module level or inside a function (a lazy import is still an arrow);
only imports under ``if TYPE_CHECKING:`` (never executed) are skipped. ``python -m
tests.test_layers`` prints the figures (modules per package, cycles, upward imports).
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "custom_components" / "delestage"

LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("api", frozenset({"api"})),
    ("core", frozenset({"const", "runtime", "flow_helpers", "issues", "texts", "hub"})),
    ("sources", frozenset({"rte", "enedis", "meteofrance", "phidget"})),
    ("features", frozenset({"tariff", "report", "shedding", "forecast", "anticipation"})),
    (
        "glue",
        frozenset(
            {
                "__init__",
                "entry_types",
                "config_flow",
                "services",
                "diagnostics",
                "logbook",
                "repairs",
                "application_credentials",
                "sensor",
                "binary_sensor",
                "calendar",
                "switch",
            }
        ),
    ),
)
RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}
SOURCES = LAYERS[2][1]


def _modules(root: Path = PACKAGE) -> dict[str, Path]:
    """Dotted name (relative to the package; ``""`` is its ``__init__``) → file."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import of a module, function bodies included, ``if TYPE_CHECKING:`` excluded."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                yield from _import_nodes(ast.Module(body=[child], type_ignores=[]))
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _import_nodes(node)


def _targets(name: str, path: Path, node: ast.Import | ast.ImportFrom, known: set[str]) -> set[str]:
    """Modules of the package an import statement loads (the most precise one known)."""
    if isinstance(node, ast.Import):
        candidates = [alias.name for alias in node.names]
        prefix = "custom_components.delestage"
        return {
            c.removeprefix(prefix).lstrip(".") for c in candidates if c.startswith(prefix)
        } & known
    if node.level == 0:
        if not (node.module or "").startswith("custom_components.delestage"):
            return set()
        base = (node.module or "").removeprefix("custom_components.delestage").lstrip(".")
    else:
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        package = [p for p in package if p]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([node.module] if node.module else [])])
    found = set()
    for alias in node.names:
        sub = f"{base}.{alias.name}" if base else alias.name
        found.add(sub if sub in known else base)
    return found & known


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module → the package's modules it imports."""
    modules = _modules(root)
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = {
            target
            for node in _import_nodes(tree)
            for target in _targets(name, path, node, known)
            if target != name
        }
    return graph


def package_of(module: str) -> str:
    """Top-level package (or module) of a dotted name; the root ``__init__`` is ``__init__``."""
    return module.split(".", maxsplit=1)[0] if module else "__init__"


def layer_of(module: str) -> str:
    """Layer name of a module (``KeyError`` when its package is in no layer)."""
    package = package_of(module)
    for name, members in LAYERS:
        if package in members:
            return name
    raise KeyError(package)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def wrong_way(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports from a lower layer to a higher one, and from one source to another."""
    bad = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            upward = RANK[layer_of(target)] > RANK[layer_of(module)]
            sideways = (
                package_of(module) in SOURCES
                and package_of(target) in SOURCES
                and package_of(module) != package_of(target)
            )
            if upward or sideways:
                bad.append((module, target))
    return bad


def test_every_package_has_a_layer() -> None:
    """A new package or top-level module must be placed in a layer (edit ``LAYERS``)."""
    unplaced = set()
    for module in import_graph():
        try:
            layer_of(module)
        except KeyError:
            unplaced.add(package_of(module))
    assert not unplaced


def test_no_import_cycle() -> None:
    """No module imports itself back through others."""
    assert cycles(import_graph()) == []


def test_no_upward_or_sideways_import() -> None:
    """Sources import no feature (nor each other), nothing below the glue imports it."""
    assert wrong_way(import_graph()) == []


def test_every_write_of_consumption_goes_through_one_path() -> None:
    """Only ``async_import_energy`` writes a meter's hours: it also tells the features.

    A writer calling ``async_import_hourly`` directly would fill ``_consumption`` and leave the
    tariff split, its cost and the report's prices without those hours (issue 19.1).
    """
    callers = set()
    for name, path in _modules().items():
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(function):
                    if (
                        isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Name)
                        and node.func.id == "async_import_hourly"
                    ):
                        callers.add(f"{name}.{function.name}")
    assert callers == {"enedis.statistics.async_import_energy"}


# --------------------------------------------------------------------------- the checker itself


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_checker_finds_a_lazy_cycle_and_an_upward_import(tmp_path: Path) -> None:
    """A cycle closed by a function-level import, and a source importing a feature, are seen."""
    root = _write(
        tmp_path,
        {
            "__init__.py": "",
            "rte/__init__.py": "",
            "rte/calendar.py": "from ..report.calendar import describe\n",
            "report/__init__.py": "",
            "report/calendar.py": "def describe():\n    from ..rte import calendar\n",
        },
    )
    graph = import_graph(root)
    assert cycles(graph) == [["report.calendar", "rte.calendar"]]
    assert wrong_way(graph) == [("rte.calendar", "report.calendar")]


def test_checker_skips_type_checking_and_other_packages(tmp_path: Path) -> None:
    """``if TYPE_CHECKING:`` imports and imports of other packages are no arrows."""
    root = _write(
        tmp_path,
        {
            "__init__.py": "",
            "const.py": "import os\n",
            "rte/__init__.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from ..report import model\n"
                "else:\n    from .. import const\n"
            ),
            "report/__init__.py": "",
            "report/model.py": "from custom_components.delestage.rte import x\n",
        },
    )
    graph = import_graph(root)
    assert graph["rte"] == {"const"}
    assert graph["report.model"] == {"rte"}
    assert graph["const"] == set()
    assert wrong_way(graph) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from .enedis import x\n", {"enedis"}),
        ("from .enedis.statistics import x\n", {"enedis.statistics"}),
        ("from .enedis import statistics\n", {"enedis.statistics"}),
        ("from . import enedis\n", {"enedis"}),
        ("import custom_components.delestage.enedis.statistics\n", {"enedis.statistics"}),
    ],
)
def test_checker_resolves_each_import_form(tmp_path: Path, source: str, expected: set[str]) -> None:
    """Relative, submodule and absolute imports all land on the module that runs."""
    root = _write(
        tmp_path,
        {"__init__.py": "", "services.py": source, "enedis/__init__.py": "x = 1\n"}
        | {"enedis/statistics.py": "x = 1\n"},
    )
    assert import_graph(root)["services"] == expected


def figures(root: Path = PACKAGE) -> dict[str, object]:
    """Modules per package, cycles and wrong-way imports (for the closing note of issue 21)."""
    graph = import_graph(root)
    return {
        "modules_per_package": dict(sorted(Counter(map(package_of, graph)).items())),
        "cycles": cycles(graph),
        "wrong_way_imports": wrong_way(graph),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(figures(), indent=2))

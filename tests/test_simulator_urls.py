"""Every simulator address the texts suggest is served by the simulator script/develop starts."""

from __future__ import annotations

from pathlib import Path
import re

from aiohttp import web
import pytest
from yarl import URL

from custom_components.delestage.const import DOMAIN
from tools import develop
from tools.sandbox import SandboxState, create_app

REPO = Path(__file__).parents[1]
TEXTS = [
    REPO / "README.md",
    *sorted((REPO / "docs").glob("*.md")),
    *sorted((REPO / "custom_components" / DOMAIN / "translations").glob("*.json")),
]
# A local address with a port: the simulator's, or Home Assistant's own web interface.
LOCAL_URL = re.compile(r"http://(?:localhost|127\.0\.0\.1|\[::1\]):\d+[^\s`'\")<>,;]*")


def _routes(app: web.Application) -> list[str]:
    """Every path pattern ``app`` serves, sub-applications included (with their prefix)."""
    routes: list[str] = []
    for resource in app.router.resources():
        sub = resource.get_info().get("app")
        routes += _routes(sub) if isinstance(sub, web.Application) else [resource.canonical]
    return routes


def _suggested() -> list[tuple[str, str]]:
    return [
        (path.name, url.rstrip("."))
        for path in TEXTS
        for url in LOCAL_URL.findall(path.read_text())
    ]


def test_texts_suggest_simulator_addresses() -> None:
    """The RTE form's help, README and docs show the simulator's addresses (no stale port)."""
    names = {name for name, _ in _suggested()}
    assert {
        "README.md",
        "contributing.md",
        "rte.md",
        "meteofrance.md",
        "en.json",
        "fr.json",
    } <= names


@pytest.mark.parametrize(("text", "url"), _suggested())
def test_suggested_address_is_served(text: str, url: str) -> None:
    parser = develop.build_parser()
    ports = {parser.get_default("sandbox_port"): "simulator", parser.get_default("port"): "hass"}
    address = URL(url)
    assert address.port in ports, f"{text}: {url} is neither the simulator's nor Home Assistant's"
    if ports[address.port] == "hass":
        return
    routes = _routes(create_app(SandboxState()))
    path = address.path.rstrip("/")
    assert any(route == path or route.startswith(f"{path}/") for route in routes), (
        f"{text}: the simulator serves nothing under {url}"
    )

"""Run Home Assistant with Délestage against the local simulator, ready to use (script/develop).

Starts the simulator (tools/sandbox) and ``hass -c config``, finishes onboarding with a demo
user, adds the RTE, Enedis and Météo-France entries through the real config flows (REST API)
pointed at the simulator, sets the Energy dashboard on the Linky statistics, creates two demo
loads and the Ecowatt load-shedding automation from the shipped blueprint, and prints the URL.
Runs inside the project's environment (no Home Assistant import: it drives HA over HTTP).
"""

from __future__ import annotations

import argparse
import asyncio
from contextlib import suppress
from datetime import timedelta
import importlib.metadata
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp import web

from tools.sandbox import SandboxConfig, SandboxState, create_app
from tools.sandbox.state import CONSUMER_PRM, PRODUCER_PRM, Meter

REPO = Path(__file__).resolve().parent.parent
MARKER = "# Written by script/develop (delete this line to keep your own changes)"
USERNAME, PASSWORD = "demo", "delestage"
STATION_ID = "75114001"
BLUEPRINT = Path("blueprints/automation/delestage/ecowatt_load_shedding.yaml")
LOADS = {"chauffe_eau": "Chauffe-eau", "radiateurs": "Radiateurs"}
# Server languages offered by --language: those Délestage has texts for. The server language
# names the entities ("RTE Ecowatt Red now" / "RTE Ecowatt Rouge en cours") and, when an entity
# is first created, its entity id; each user's interface language is set in their profile.
LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
# The readiness probe: Home Assistant's login page asks this URL without a token
# (``requires_auth = False``). Any unauthenticated request to a protected view (``/api/``)
# would answer 401 and raise a "Login attempt failed" notification for the new user.
READINESS_PATH = "/auth/providers"

CONFIGURATION = """{marker}
homeassistant:
  name: Délestage (démo)
  language: {language}
  latitude: 48.8217
  longitude: 2.3378
  elevation: 75
  unit_system: metric
  time_zone: Europe/Paris
  currency: EUR
  country: FR

# A lean set instead of default_config: what the demo needs, nothing that downloads more.
frontend:
config:
history:
logbook:
energy:
recorder:
  purge_keep_days: 30
automation: !include automations.yaml
script:
application_credentials:
system_log:

input_boolean:
{loads}
logger:
  default: warning
  logs:
    custom_components.delestage: debug
    homeassistant.setup: info
    homeassistant.core: info
"""


def log(message: str) -> None:
    """A progress line."""
    print(f"\033[1m==> {message}\033[0m", flush=True)


def write_config(config: Path, port: int, language: str = DEFAULT_LANGUAGE) -> None:
    """Write the demo configuration (again at each run while it has the marker line).

    A user's own configuration.yaml (no marker) is kept as configuration.yaml.bak.
    """
    config.mkdir(parents=True, exist_ok=True)
    (config / "custom_components").unlink(missing_ok=True)
    (config / "custom_components").symlink_to(REPO / "custom_components")
    yaml = config / "configuration.yaml"
    if yaml.exists() and MARKER not in yaml.read_text(encoding="utf-8"):
        yaml.rename(config / "configuration.yaml.bak")
        log("Kept your configuration.yaml as configuration.yaml.bak")
    if not yaml.exists() or MARKER in yaml.read_text(encoding="utf-8"):
        loads = "".join(
            f"  {key}:\n    name: {name}\n    icon: mdi:flash\n    initial: true\n"
            for key, name in LOADS.items()
        )
        yaml.write_text(
            CONFIGURATION.format(marker=MARKER, loads=loads, language=language), encoding="utf-8"
        )
    (config / "automations.yaml").touch()
    storage = config / ".storage"
    storage.mkdir(exist_ok=True)
    onboarding = storage / "onboarding"
    if not onboarding.exists():
        # Every step but the user's: that one goes through the API (creates the user properly),
        # and core_config would start integrations that need the Internet (met, radio...).
        onboarding.write_text(
            json.dumps(
                {
                    "version": 4,
                    "minor_version": 1,
                    "key": "onboarding",
                    "data": {"done": ["core_config", "analytics", "integration"]},
                }
            ),
            encoding="utf-8",
        )
    http = storage / "http"
    if not http.exists() and port != 8123:
        # The HTTP settings live in storage since HA 2026 (YAML is deprecated there).
        http.write_text(
            json.dumps(
                {
                    "version": 2,
                    "minor_version": 2,
                    "key": "http",
                    "data": {
                        "stable": {
                            "server_port": port,
                            "cors_allowed_origins": ["https://cast.home-assistant.io"],
                            "login_attempts_threshold": -1,
                            "ip_ban_enabled": True,
                            "ssl_profile": "modern",
                            "use_x_frame_options": True,
                            "created_at": "2026-01-01T00:00:00+00:00",
                            "error": None,
                            "error_message": None,
                        },
                        "pending": None,
                        "yaml_migration_done": True,
                    },
                }
            ),
            encoding="utf-8",
        )
    blueprint = REPO / BLUEPRINT
    if blueprint.exists():
        target = config / "blueprints" / "automation" / "delestage"
        target.mkdir(parents=True, exist_ok=True)
        link = target / blueprint.name
        link.unlink(missing_ok=True)
        link.symlink_to(blueprint)


# Integrations the demo configuration sets up besides those Home Assistant always loads.
CONFIGURED = (
    "frontend",
    "config",
    "history",
    "logbook",
    "energy",
    "recorder",
    "automation",
    "script",
    "application_credentials",
    "system_log",
    "input_boolean",
    "logger",
)


def _requirements_of_what_loads() -> list[str]:
    """Requirements of every integration Home Assistant will set up, with their dependencies.

    Home Assistant runs with --skip-pip, so they must be installed beforehand; one missing
    (e.g. assist_pipeline's, pulled in by a base platform) breaks the frontend's service list.
    """
    from homeassistant import bootstrap, components  # noqa: PLC0415

    root = Path(components.__path__[0])
    pending = {
        *CONFIGURED,
        *bootstrap.CORE_INTEGRATIONS,
        *bootstrap.LOGGING_AND_HTTP_DEPS_INTEGRATIONS,
        *bootstrap.FRONTEND_INTEGRATIONS,
        *bootstrap.DEFAULT_INTEGRATIONS,
    }
    seen: set[str] = set()
    requirements: list[str] = []
    while pending:
        domain = pending.pop()
        seen.add(domain)
        manifest_path = root / domain / "manifest.json"
        if not manifest_path.is_file():
            continue
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        requirements += [r for r in manifest.get("requirements", []) if r not in requirements]
        pending |= set(manifest.get("dependencies", [])) - seen
    return requirements


def _missing(requirements: list[str]) -> list[str]:
    missing = []
    for requirement in requirements:
        name, _, version = requirement.partition("==")
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(requirement)
            continue
        if version and installed != version:
            missing.append(requirement)
    return missing


def ensure_requirements() -> None:
    """Install what the demo's integrations need, once (a compiler first, if one is needed)."""
    if not (missing := _missing(_requirements_of_what_loads())):
        return
    log(f"Installing {', '.join(missing)} (first run only)")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", *missing]
    if subprocess.run(pip, check=False).returncode == 0:
        return
    if shutil.which("g++") is None and shutil.which("apt-get") and os.geteuid() == 0:
        log("Installing a C++ compiler to build them (Debian root file system)")
        # Debian sid's Release files can be past their Valid-Until on a mirror snapshot.
        subprocess.run(
            ["apt-get", "-o", "Acquire::Check-Valid-Until=false", "update", "-qq"], check=True
        )
        subprocess.run(
            [
                "apt-get",
                "-o",
                "Acquire::Check-Valid-Until=false",
                "install",
                "-y",
                "-qq",
                "--no-install-recommends",
                "g++",
            ],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    subprocess.run(pip, check=True)


class Hass:
    """A tiny Home Assistant REST + websocket client."""

    def __init__(
        self, session: aiohttp.ClientSession, url: str, language: str = DEFAULT_LANGUAGE
    ) -> None:
        """Talk to Home Assistant at ``url``."""
        self.session = session
        self.url = url
        self.language = language
        self.client_id = f"{url}/"
        self.token = ""
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ws_id = 0

    @property
    def headers(self) -> dict[str, str]:
        """Authorization header."""
        return {"Authorization": f"Bearer {self.token}"}

    async def wait_until_up(self, process: subprocess.Popen[bytes], within: float) -> None:
        """Wait for the HTTP server and its auth views, without failing an authentication.

        ``/auth/providers`` needs no token: 200 once a user exists, 400 "onboarding_required"
        before; 404 while the auth views are not registered yet.
        """
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"Home Assistant exited with code {process.returncode}")
            with suppress(aiohttp.ClientError, TimeoutError):
                async with self.session.get(
                    f"{self.url}{READINESS_PATH}", timeout=aiohttp.ClientTimeout(total=2)
                ) as response:
                    if response.status in (200, 400):
                        return
            await asyncio.sleep(0.5)
        raise RuntimeError("Home Assistant did not start in time")

    async def log_in(self) -> None:
        """Create the demo user on first run (onboarding), else log in with its password."""
        steps: dict[str, bool] = {}
        async with self.session.get(f"{self.url}/api/onboarding") as response:
            if response.status == 200:  # the onboarding views exist until it is done
                steps = {step["step"]: step["done"] for step in await response.json()}
        if steps and not steps.get("user"):
            async with self.session.post(
                f"{self.url}/api/onboarding/users",
                json={
                    "client_id": self.client_id,
                    "name": "Démo",
                    "username": USERNAME,
                    "password": PASSWORD,
                    "language": self.language,
                },
            ) as response:
                response.raise_for_status()
                code = (await response.json())["auth_code"]
        else:
            code = await self._login_flow()
        async with self.session.post(
            f"{self.url}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        ) as response:
            response.raise_for_status()
            self.token = (await response.json())["access_token"]

    async def wait_until_running(self, within: float) -> None:
        """Wait for the end of Home Assistant's start-up (it handles SIGTERM only from then)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            async with self.session.get(f"{self.url}/api/config", headers=self.headers) as response:
                if response.status == 200 and (await response.json()).get("state") == "RUNNING":
                    return
            await asyncio.sleep(0.5)
        raise RuntimeError("Home Assistant did not finish starting in time")

    async def _login_flow(self) -> str:
        async with self.session.post(
            f"{self.url}/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
        ) as response:
            flow_id = (await response.json())["flow_id"]
        async with self.session.post(
            f"{self.url}/auth/login_flow/{flow_id}",
            json={"client_id": self.client_id, "username": USERNAME, "password": PASSWORD},
        ) as response:
            result = await response.json()
        if result.get("type") != "create_entry":
            raise RuntimeError(f"Cannot log in as {USERNAME!r}: {result.get('errors')}")
        return str(result["result"])

    async def flow(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST to the config-flow REST API."""
        async with self.session.post(
            f"{self.url}/api/config/config_entries/flow{path}", json=body, headers=self.headers
        ) as response:
            data: dict[str, Any] = await response.json()
            if response.status >= 400:
                raise RuntimeError(f"Config flow {path or 'start'}: HTTP {response.status} {data}")
            return data

    async def options_flow(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST to the options-flow REST API."""
        async with self.session.post(
            f"{self.url}/api/config/config_entries/options/flow{path}",
            json=body,
            headers=self.headers,
        ) as response:
            data: dict[str, Any] = await response.json()
            if response.status >= 400:
                raise RuntimeError(f"Options flow {path or 'start'}: HTTP {response.status} {data}")
            return data

    async def ws(self, message: dict[str, Any]) -> Any:
        """Send one websocket command and return its result."""
        if self._ws is None:
            self._ws = await self.session.ws_connect(f"{self.url}/api/websocket")
            await self._ws.receive_json()
            await self._ws.send_json({"type": "auth", "access_token": self.token})
            if (await self._ws.receive_json())["type"] != "auth_ok":
                raise RuntimeError("Websocket authentication failed")
        self._ws_id += 1
        await self._ws.send_json({"id": self._ws_id, **message})
        while True:
            answer = await self._ws.receive_json()
            if answer.get("id") == self._ws_id and answer.get("type") == "result":
                if not answer["success"]:
                    raise RuntimeError(f"{message['type']}: {answer['error']}")
                return answer["result"]

    async def call_service(self, domain: str, service: str) -> None:
        """Call a service over REST."""
        async with self.session.post(
            f"{self.url}/api/services/{domain}/{service}", json={}, headers=self.headers
        ) as response:
            response.raise_for_status()

    async def close(self) -> None:
        """Close the websocket."""
        if self._ws is not None:
            await self._ws.close()


async def add_entry(hass: Hass, entry_type: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Run the Délestage config flow: menu choice, then one form answer per step."""
    result = await hass.flow("", {"handler": "delestage", "show_advanced_options": True})
    result = await hass.flow(f"/{result['flow_id']}", {"next_step_id": entry_type})
    for answer in steps:
        if result["type"] not in ("form", "menu"):
            break
        result = await hass.flow(f"/{result['flow_id']}", answer)
    return result


def report(name: str, result: dict[str, Any]) -> None:
    """Say what a flow ended with."""
    if result["type"] == "create_entry":
        log(f"{name}: entry created ({result['title']})")
    elif result["type"] == "abort" and result.get("reason") == "already_configured":
        log(f"{name}: entry already there")
    else:
        details = result.get("reason") or result.get("errors")
        log(f"{name}: flow ended with {result['type']} {details}")


async def add_enedis(hass: Hass, sandbox: str) -> None:
    """Application credentials, then the consent journey, answered like a customer would."""
    credentials = await hass.ws({"type": "application_credentials/list"})
    if not any(c["domain"] == "delestage" for c in credentials):
        await hass.ws(
            {
                "type": "application_credentials/create",
                "domain": "delestage",
                "client_id": "sandbox-enedis-client",
                "client_secret": "sandbox-enedis-secret",
                "name": "Simulateur Data Connect",
            }
        )
    result = await add_entry(
        hass,
        "enedis",
        [
            {"next_step_id": "enedis_dataconnect"},
            {
                "consent_duration": "p3y",
                "advanced": {"environment": "production", "api_base_url": f"{sandbox}/enedis"},
            },
        ],
    )
    if result["type"] != "external":
        report("Enedis", result)
        return
    # The consent page (whatever host the flow links to): accept for the demo meter. The
    # simulator redirects to the callback declared "on DataHub" (Home Assistant's view).
    consent = parse_qs(urlsplit(result["url"]).query)
    form = {key: values[0] for key, values in consent.items()}
    async with hass.session.post(
        f"{sandbox}/enedis/dataconnect/v2/oauth2/authorize",
        data={**form, "prm": CONSUMER_PRM, "decision": "accept"},
    ) as response:
        response.raise_for_status()
    report("Enedis", await hass.flow(f"/{result['flow_id']}", {}))


# A third demo meter, read through MyElectricalData (the producer is read through Conso API).
MED_PRM = "09123456789036"


async def add_gateways(hass: Hass, sandbox: str) -> None:
    """A Conso API entry (token from the simulator's page) and a MyElectricalData entry."""
    async with hass.session.get(
        f"{sandbox}/conso_api/token", params={"prm": PRODUCER_PRM}
    ) as response:
        token = (await response.json())["token"]
    conso = {"api_token": token, "production": True}
    conso["advanced"] = {"api_base_url": f"{sandbox}/conso_api/api"}
    report(
        "Conso API", await add_entry(hass, "enedis", [{"next_step_id": "enedis_conso_api"}, conso])
    )
    med = {"api_token": SandboxConfig().med_client_secret}
    med["advanced"] = {"api_base_url": f"{sandbox}/myelectricaldata/api"}
    report(
        "MyElectricalData",
        await add_entry(
            hass, "enedis", [{"next_step_id": "enedis_myelectricaldata"}, med, {"prm": MED_PRM}]
        ),
    )


async def find_entity(hass: Hass, unique_suffix: str) -> str | None:
    """Entity id of the Délestage entity whose unique id ends with ``unique_suffix``."""
    for _ in range(40):
        entities = await hass.ws({"type": "config/entity_registry/list"})
        for entity in entities:
            if entity["platform"] == "delestage" and str(entity.get("unique_id", "")).endswith(
                unique_suffix
            ):
                return str(entity["entity_id"])
        await asyncio.sleep(0.25)
    return None


async def add_shedding(hass: Hass, config: Path) -> None:
    """The blueprint's automation on the two demo loads (skipped when there is no blueprint)."""
    if not (REPO / BLUEPRINT).exists():
        log("No load-shedding blueprint yet: skipped")
        return
    level = await find_entity(hass, "_ecowatt_level_now")
    if level is None:
        log("No Ecowatt level sensor: load shedding skipped")
        return
    automation = [
        {
            "id": "delestage_demo_shedding",
            "alias": "Délestage : couper les charges pendant les heures rouges",
            "use_blueprint": {
                "path": "delestage/ecowatt_load_shedding.yaml",
                "input": {
                    "ecowatt_level": level,
                    "levels": "red",
                    "loads": [f"input_boolean.{key}" for key in LOADS],
                    "lead_time": 0,
                    "restore": True,
                },
            },
        }
    ]
    (config / "automations.yaml").write_text(json.dumps(automation, indent=2), encoding="utf-8")
    await hass.call_service("automation", "reload")
    log(f"Load shedding: automation on {', '.join(LOADS.values())} driven by {level}")


# The demo meter is a Tempo customer (prices in €/kWh incl. taxes, subscription in €/month:
# demo values of the order of EDF's 2026 Tempo offer).
TEMPO_PRICES = {
    "blue_hp": 0.1494,
    "blue_hc": 0.1232,
    "white_hp": 0.1730,
    "white_hc": 0.1391,
    "red_hp": 0.6468,
    "red_hc": 0.1460,
}
TEMPO_SUBSCRIPTION = 15.59


async def set_tariff(hass: Hass) -> None:
    """Tempo options on the Linky entry, through its options flow (idempotent)."""
    entries = await hass.ws({"type": "config_entries/get", "domain": "delestage"})
    linky = [e for e in entries if str(e.get("title", "")).startswith("Linky")]
    if not linky:
        return
    result = await hass.options_flow("", {"handler": linky[0]["entry_id"]})
    for answer in (
        {"tariff": "tempo", "subscription": TEMPO_SUBSCRIPTION},
        {"offpeak_hours": "22:00-06:00"},
        {  # one section per colour
            color: {f"price_{p}": TEMPO_PRICES[f"{color}_{p}"] for p in ("hp", "hc")}
            for color in ("blue", "white", "red")
        },
    ):
        if result["type"] != "form":
            break
        result = await hass.options_flow(f"/{result['flow_id']}", answer)
    log(f"Enedis: Tempo tariff ({result['type']}); six Tempo series and the cost statistic")


async def add_tempo_dashboard(hass: Hass) -> None:
    """A "Tempo" dashboard: the six Tempo series stacked per day, and the daily cost."""
    dashboards = await hass.ws({"type": "lovelace/dashboards/list"})
    if not any(d.get("url_path") == "linky-tempo" for d in dashboards):
        await hass.ws(
            {
                "type": "lovelace/dashboards/create",
                "url_path": "linky-tempo",
                "title": "Tempo",
                "icon": "mdi:palette",
                "mode": "storage",
                "require_admin": False,
                "show_in_sidebar": True,
            }
        )
    series = [
        {
            "entity": f"delestage:linky_{CONSUMER_PRM}_{color}_{period}",
            "name": f"{name} {period.upper()}",
        }
        for color, name in (("blue", "Bleu"), ("white", "Blanc"), ("red", "Rouge"))
        for period in ("hp", "hc")
    ]
    cards = [
        {
            "type": "statistics-graph",
            "title": "Consommation par période Tempo (kWh / jour)",
            "entities": series,
            "stat_types": ["change"],
            "period": "day",
            "days_to_show": 30,
            "chart_type": "bar",
        },
        {
            "type": "statistics-graph",
            "title": "Coût (€ / jour)",
            "entities": [{"entity": f"delestage:linky_{CONSUMER_PRM}_cost", "name": "Coût"}],
            "stat_types": ["change"],
            "period": "day",
            "days_to_show": 30,
            "chart_type": "bar",
        },
    ]
    await hass.ws(
        {
            "type": "lovelace/config/save",
            "url_path": "linky-tempo",
            "config": {"views": [{"title": "Tempo", "cards": cards}]},
        }
    )
    log("Tempo dashboard: the six series and the daily cost (/linky-tempo)")


async def set_energy(hass: Hass) -> None:
    """Energy dashboard: grid consumption from the Linky statistics, cost from the Tempo split."""
    await hass.ws(
        {
            "type": "energy/save_prefs",
            "energy_sources": [
                {
                    "type": "grid",
                    "stat_energy_from": f"delestage:linky_{CONSUMER_PRM}_consumption",
                    "stat_cost": f"delestage:linky_{CONSUMER_PRM}_cost",
                    "cost_adjustment_day": 0,
                }
            ],
        }
    )


async def provision(hass: Hass, sandbox: str, config: Path) -> None:
    """Every demo entry and setting; each step is idempotent."""
    report(
        "RTE",
        await add_entry(
            hass,
            "rte",
            [
                {
                    "client_id": "sandbox-rte-client",
                    "client_secret": "sandbox-rte-secret",
                    # Polled every minute (no quota): POST /_control/rte/red shows within a minute.
                    "environment": "sandbox",
                    "advanced": {"api_base_url": f"{sandbox}/rte"},
                }
            ],
        ),
    )
    report(
        "Météo-France",
        await add_entry(
            hass,
            "meteofrance",
            [
                {
                    "auth_method": "api_key",
                    "credential": "sandbox-meteofrance-key",
                    "advanced": {"api_base_url": f"{sandbox}/meteofrance/public/DPObs/v1"},
                },
                {"station_id": STATION_ID},
            ],
        ),
    )
    await add_enedis(hass, sandbox)
    await set_tariff(hass)
    await add_gateways(hass, sandbox)
    await set_energy(hass)
    await add_tempo_dashboard(hass)
    await add_shedding(hass, config)


async def start_sandbox(host: str, port: int, hass_url: str) -> web.AppRunner:
    """The simulator, in this process; consent redirects go to Home Assistant's callback."""
    state = SandboxState(
        SandboxConfig(
            enedis_redirect_url=f"{hass_url}/api/delestage/enedis/callback",
            rte_live_sandbox=True,
        )
    )
    state.red_start = state.default_red_start(1)
    state.meters[MED_PRM] = Meter(MED_PRM, state.now().date() - timedelta(days=700))
    runner = web.AppRunner(create_app(state), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def start_hass(config: Path, *, verbose: bool) -> subprocess.Popen[bytes]:
    """``hass -c config`` in its own session (Ctrl+C reaches it through us, gracefully)."""
    return subprocess.Popen(
        # --skip-pip: every requirement is installed already (see ensure_requirements); HA
        # would otherwise try to build voice packages (assist_pipeline) at every start.
        [sys.executable, "-m", "homeassistant", "--config", str(config), "--skip-pip"],
        stdout=None if verbose else subprocess.DEVNULL,
        stderr=None if verbose else subprocess.DEVNULL,
        start_new_session=True,
    )


async def run(
    args: argparse.Namespace, config: Path, process: subprocess.Popen[bytes], started: float
) -> int:
    """Start the simulator, provision Home Assistant, then wait until it stops."""
    hass_url = f"http://127.0.0.1:{args.port}"
    sandbox_url = f"http://127.0.0.1:{args.sandbox_port}"
    runner = await start_sandbox("127.0.0.1", args.sandbox_port, f"http://localhost:{args.port}")
    log(f"Simulator on {sandbox_url} (control: {sandbox_url}/_control)")
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()
    assert main_task is not None
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, main_task.cancel)
    try:
        async with aiohttp.ClientSession() as session:
            hass = Hass(session, hass_url, args.language)
            await hass.wait_until_up(process, args.timeout)
            log(f"Home Assistant answers ({time.monotonic() - started:.1f} s)")
            await hass.log_in()
            await hass.wait_until_running(args.timeout)
            log(f"Home Assistant started ({time.monotonic() - started:.1f} s)")
            if not args.bare:
                await provision(hass, sandbox_url, config)
            await hass.close()
        elapsed = time.monotonic() - started
        print(
            f"\n  Home Assistant:  http://localhost:{args.port}\n"
            f"  User / password: {USERNAME} / {PASSWORD}\n"
            f"  Simulator:       {sandbox_url}  (GET /_control, POST /_control/faults)\n"
            f"  Logs:            {config}/home-assistant.log\n"
            f"  Ready in {elapsed:.1f} s. Ctrl+C stops both.\n",
            flush=True,
        )
        if args.ready_file:
            await asyncio.to_thread(Path(args.ready_file).write_text, f"{elapsed:.1f}\n")
        if not args.exit_when_ready:
            await asyncio.to_thread(process.wait)
    except asyncio.CancelledError:
        log("Stopping Home Assistant and the simulator")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await _stop(process)
        await runner.cleanup()
    return 0


async def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop Home Assistant gracefully (it saves its storage then); kill it after 3 minutes."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    try:
        for _ in range(360):
            if process.poll() is not None:
                return
            await asyncio.sleep(0.5)
    finally:
        if process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keep the description's lines; show the default of the options that have one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default not in (None, False, argparse.SUPPRESS):
            text += " (default: %(default)s)"
        return text


def build_parser() -> argparse.ArgumentParser:
    """The command line of script/develop: every option with a description."""
    parser = argparse.ArgumentParser(
        prog="script/develop", description=__doc__, formatter_class=_HelpFormatter
    )
    parser.add_argument(
        "--config",
        default=str(REPO / "config"),
        help="Home Assistant's configuration folder (created on first run; delete it to start "
        "afresh)",
    )
    parser.add_argument(
        "--port", type=int, default=8123, help="port of Home Assistant's web interface"
    )
    parser.add_argument(
        "--sandbox-port",
        type=int,
        default=8765,
        help="port of the simulator of the RTE, Enedis and Météo-France APIs (127.0.0.1)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600,
        help="seconds to wait for Home Assistant to answer, then to finish starting, before "
        "giving up",
    )
    parser.add_argument(
        "--language",
        choices=LANGUAGES,
        default=DEFAULT_LANGUAGE,
        help="server language: entity names follow it (and the entity ids of a fresh --config)",
    )
    parser.add_argument("--verbose", action="store_true", help="show Home Assistant's output")
    parser.add_argument("--ready-file", help="write the start-up time (seconds) here once ready")
    parser.add_argument(
        "--exit-when-ready", action="store_true", help="stop once provisioned (checks, timing)"
    )
    parser.add_argument(
        "--bare", action="store_true", help="user and simulator only, no entries (script/e2e)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and run."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for port in (args.port, args.sandbox_port):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                log(f"Port {port} is in use (another script/develop or Home Assistant?)")
                return 1
    started = time.monotonic()
    config = Path(args.config).resolve()
    write_config(config, args.port, args.language)
    ensure_requirements()
    return asyncio.run(run(args, config, start_hass(config, verbose=args.verbose), started))


if __name__ == "__main__":
    sys.exit(main())

"""Run Home Assistant with Délestage against the local simulator, ready to use (script/develop).

Starts the simulator (tools/sandbox) and ``hass -c config``, finishes onboarding with a demo
user, adds the RTE, Enedis and Météo-France entries through the real config flows (REST API)
pointed at the simulator, sets the Linky meter's Tempo tariff, the Energy dashboard and a
"Tempo" dashboard on the Linky statistics, creates two demo loads, two heated rooms
(tools/demo_rooms.py: a ``generic_thermostat`` and a preset-only heater over simulated rooms,
with a "Pre-heating" dashboard) and the Ecowatt load-shedding automation from the shipped
blueprint (the rooms in its pre-heating inputs), checks that the costs are there, and
prints the URL. A step that does not do its job stops the demo with a message saying which
(exit status 1): it never reports a success it did not check. The simulator's state (a red
period set through /_control, consents) is kept in the configuration folder across restarts.
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

from tools import demo_check, demo_rooms
from tools.demo_content import (
    LOAD_IDS,
    PREHEAT_DASHBOARD,
    TEMPO_DASHBOARD,
    TEXTS,
    shedding_automation,
    statistic_id,
    tempo_dashboard as tempo_dashboard_config,
)
from tools.hass_client import DemoStepFailed, Hass
from tools.sandbox import SandboxConfig, SandboxState, create_app
from tools.sandbox.persist import SandboxStore
from tools.sandbox.state import CONSUMER_PRM, PRODUCER_PRM, Meter

REPO = Path(__file__).resolve().parent.parent
MARKER = "# Written by script/develop (delete this line to keep your own changes)"
USERNAME, PASSWORD = "demo", "delestage"
STATION_ID = "75114001"
BLUEPRINT = Path("blueprints/automation/delestage/ecowatt_load_shedding.yaml")
# Server languages offered by --language: those Délestage has texts for. The server language
# names the entities ("RTE Ecowatt Red now" / "RTE Ecowatt Rouge en cours") and, when an entity
# is first created, its entity id; each user's interface language is set in their profile.
LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
# The simulator's state, in the configuration folder (see tools/sandbox/persist.py).
SANDBOX_STATE = "sandbox_state.json"

CONFIGURATION = """{marker}
homeassistant:
  name: {home}
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
{loads}{rooms}
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
            for key, name in TEXTS[language].loads.items()
        )
        # The pre-heated rooms' relays and thermostats (tools/demo_rooms.py).
        loads += demo_rooms.input_booleans(language)
        yaml.write_text(
            CONFIGURATION.format(
                marker=MARKER,
                loads=loads,
                rooms=demo_rooms.configuration(language),
                language=language,
                home=TEXTS[language].home,
            ),
            encoding="utf-8",
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
    # Every shipped blueprint (load shedding, preparing for a likely red day…).
    for blueprint in sorted((REPO / BLUEPRINT).parent.glob("*.yaml")):
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
    "input_select",
    "climate",
    "template",
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
    """Say what a flow ended with; anything but a new or existing entry stops the demo."""
    if result["type"] == "create_entry":
        log(f"{name}: entry created ({result['title']})")
    elif result["type"] == "abort" and result.get("reason") == "already_configured":
        log(f"{name}: entry already there")
    else:
        details = result.get("reason") or result.get("errors") or result.get("step_id")
        raise DemoStepFailed(f"{name}: the config flow ended with {result['type']} {details}")


async def add_rte(hass: Hass, sandbox: str) -> None:
    """The RTE entry, in the sandbox environment (polled every minute, no quota)."""
    answer = {
        "client_id": "sandbox-rte-client",
        "client_secret": "sandbox-rte-secret",
        # Polled every minute (no quota): POST /_control/rte/red shows within a minute.
        "environment": "sandbox",
        "advanced": {"api_base_url": f"{sandbox}/rte"},
    }
    report("RTE", await add_entry(hass, "rte", [answer]))


async def add_meteofrance(hass: Hass, sandbox: str) -> None:
    """The Paris-Montsouris station."""
    answers = [
        {
            "auth_method": "api_key",
            "credential": "sandbox-meteofrance-key",
            "advanced": {"api_base_url": f"{sandbox}/meteofrance/public/DPObs/v1"},
        },
        {"station_id": STATION_ID},
    ]
    report("Météo-France", await add_entry(hass, "meteofrance", answers))


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


async def add_shedding(hass: Hass, config: Path) -> None:
    """The blueprint's automation on the two demo loads, named in the server's language."""
    if not (REPO / BLUEPRINT).exists():
        raise DemoStepFailed(f"Load shedding: no blueprint at {BLUEPRINT}")
    level = await demo_check.entity_of(hass, "ecowatt_level_now")
    climates = await demo_rooms.climate_entities(hass)
    automation = [shedding_automation(hass.language, level, sorted(climates.values()))]
    (config / "automations.yaml").write_text(json.dumps(automation, indent=2), encoding="utf-8")
    await hass.call_service("automation", "reload")
    entity_id = await demo_check.wait_for_automation(hass)
    names = ", ".join(TEXTS[hass.language].loads[key] for key in LOAD_IDS)
    log(f"Load shedding: {entity_id} on {names}, driven by {level}")


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
# The Linky options open with a menu (tariff, or a history-file import); each form is
# answered by its step id, whatever their order.
TARIFF_MENU_CHOICE = "enedis_tariff"
TARIFF_ANSWERS: dict[str, dict[str, Any]] = {
    "enedis_tariff": {"tariff": "tempo", "subscription": TEMPO_SUBSCRIPTION},
    "enedis_offpeak": {"offpeak_hours": "22:00-06:00"},
    "enedis_prices": {  # one section per colour
        color: {f"price_{p}": TEMPO_PRICES[f"{color}_{p}"] for p in ("hp", "hc")}
        for color in ("blue", "white", "red")
    },
}


async def set_tariff(hass: Hass) -> None:
    """Tempo options on the Data Connect meter, through its options flow (idempotent)."""
    entry_id = await demo_check.meter_entry(hass, CONSUMER_PRM)
    result = await hass.options_flow("", {"handler": entry_id})
    if result["type"] == "menu":
        if TARIFF_MENU_CHOICE not in result["menu_options"]:
            raise DemoStepFailed(
                f"Tempo tariff: no {TARIFF_MENU_CHOICE!r} in the Linky options menu "
                f"{result['menu_options']}"
            )
        result = await hass.options_flow(
            f"/{result['flow_id']}", {"next_step_id": TARIFF_MENU_CHOICE}
        )
    answered: list[str] = []
    while result["type"] == "form":
        step = result["step_id"]
        if result.get("errors") or step not in TARIFF_ANSWERS or step in answered:
            raise DemoStepFailed(
                f"Tempo tariff: unexpected step {step!r} (errors: {result.get('errors')})"
            )
        answered.append(step)
        result = await hass.options_flow(f"/{result['flow_id']}", TARIFF_ANSWERS[step])
    if result["type"] != "create_entry":
        raise DemoStepFailed(f"Tempo tariff: the options flow ended with {result['type']}")
    # Saved; its effect (costs, the six series) is checked once the history is in.
    log(f"Enedis: Tempo tariff saved for Linky …{CONSUMER_PRM[-4:]} ({', '.join(answered)})")


async def forecast_sensors(hass: Hass) -> list[str]:
    """The RTE entry's seven Tempo forecast sensors, day 1 first (none without the entry)."""
    keys = [f"tempo_forecast_day_{day}" for day in range(1, 8)]
    found = {
        entity.get("translation_key"): str(entity["entity_id"])
        for entity in await hass.ws({"type": "config/entity_registry/list"})
        if entity["platform"] == "delestage"
    }
    return [found[key] for key in keys] if all(key in found for key in keys) else []


async def add_tempo_dashboard(hass: Hass) -> None:
    """The "Tempo" dashboard (tools/demo_content.py), in the server's language."""
    dashboards = await hass.ws({"type": "lovelace/dashboards/list"})
    if not any(d.get("url_path") == TEMPO_DASHBOARD for d in dashboards):
        await hass.ws(
            {
                "type": "lovelace/dashboards/create",
                "url_path": TEMPO_DASHBOARD,
                "title": TEXTS[hass.language].dashboard,
                "icon": "mdi:palette",
                "mode": "storage",
                "require_admin": False,
                "show_in_sidebar": True,
            }
        )
    forecast = await forecast_sensors(hass)
    await hass.ws(
        {
            "type": "lovelace/config/save",
            "url_path": TEMPO_DASHBOARD,
            "config": tempo_dashboard_config(hass.language, forecast),
        }
    )
    week = f", the week ahead (/{TEMPO_DASHBOARD}/week-ahead)" if forecast else ""
    log(f"Tempo dashboard: yesterday, the six series and the cost (/{TEMPO_DASHBOARD}){week}")


# Home Assistant's own notices about the machine the demo runs on, not about Délestage: "the Core
# installation method is deprecated" (script/setup installs Home Assistant Core in a plain Python
# environment). A new user would take the Settings badge for a Délestage problem.
HOST_NOTICES = ("deprecated_method", "deprecated_architecture", "deprecated_method_architecture")


async def ignore_host_notices(hass: Hass) -> None:
    """Ignore Home Assistant's installation-method notices (they concern the demo's machine)."""
    issues = (await hass.ws({"type": "repairs/list_issues"}))["issues"]
    for issue in issues:
        if issue["domain"] == "homeassistant" and issue["issue_id"] in HOST_NOTICES:
            await hass.ws(
                {
                    "type": "repairs/ignore_issue",
                    "domain": "homeassistant",
                    "issue_id": issue["issue_id"],
                    "ignore": True,
                }
            )


async def add_preheating_dashboard(hass: Hass) -> None:
    """The "Pre-heating" dashboard: the demo rooms' history and their pre-heating sensors."""
    climates = await demo_rooms.climate_entities(hass)
    await demo_check.entity_of(hass, "coast_duration")  # the sensors are there
    sensors = await demo_rooms.preheat_sensors(hass)
    dashboards = await hass.ws({"type": "lovelace/dashboards/list"})
    if not any(d.get("url_path") == PREHEAT_DASHBOARD for d in dashboards):
        await hass.ws(
            {
                "type": "lovelace/dashboards/create",
                "url_path": PREHEAT_DASHBOARD,
                "title": demo_rooms.TEXTS[hass.language]["dashboard"],
                "icon": "mdi:home-thermometer-outline",
                "mode": "storage",
                "require_admin": False,
                "show_in_sidebar": True,
            }
        )
    await hass.ws(
        {
            "type": "lovelace/config/save",
            "url_path": PREHEAT_DASHBOARD,
            "config": demo_rooms.dashboard(hass.language, climates, sensors),
        }
    )
    rooms = ", ".join(sorted(climates.values()))
    log(f"Pre-heating dashboard: {rooms} (/{PREHEAT_DASHBOARD})")


async def set_energy(hass: Hass) -> None:
    """Energy dashboard: grid consumption from the Linky statistics, cost from the Tempo split."""
    await hass.ws(
        {
            "type": "energy/save_prefs",
            "energy_sources": [
                {
                    "type": "grid",
                    "stat_energy_from": statistic_id("consumption"),
                    "stat_cost": statistic_id("cost"),
                    "cost_adjustment_day": 0,
                }
            ],
        }
    )
    log("Energy dashboard: Linky consumption with its Tempo cost")


async def provision(hass: Hass, sandbox: str, config: Path, within: float = 600) -> None:
    """Every demo entry and setting (each step idempotent), then the check of the costs.

    The costs checked are those of the newest Linky day the simulator serves before the meter
    is added (its back-fill brings that day at least, even when midnight passes meanwhile).
    """
    day = await demo_check.last_linky_day(hass, sandbox)
    await add_rte(hass, sandbox)
    await add_meteofrance(hass, sandbox)
    await add_enedis(hass, sandbox)
    await set_tariff(hass)
    await add_gateways(hass, sandbox)
    await set_energy(hass)
    await add_tempo_dashboard(hass)
    await add_shedding(hass, config)
    await add_preheating_dashboard(hass)
    await ignore_host_notices(hass)
    log(await demo_check.check_costs(hass, within, day))


# The demo's simulator publishes each Linky day as soon as it ends (Enedis: about 08:00 the next
# morning, the simulator's default). A new meter's back-fill fetches what is published when it
# is added, and the integration's next Linky refresh is at 08:30 (enedis/backfill.py
# REFRESH_TIMES): with 08:00, a demo started between midnight and 08:00 would show no
# "yesterday" (cost sensors, Tempo and Energy dashboards) until 08:30. The integration is not
# told: it polls as it does the real Enedis, so a demo kept (running or restarted) past
# midnight shows the new yesterday after that 08:30 refresh; a fresh --config shows it at once.
DEMO_PUBLICATION_HOUR = 0


def demo_config(hass_url: str) -> SandboxConfig:
    """The simulator's settings for the demo (the consent page returns to ``hass_url``)."""
    return SandboxConfig(
        enedis_redirect_url=f"{hass_url}/api/delestage/enedis/callback",
        rte_live_sandbox=True,
        enedis_publication_hour=DEMO_PUBLICATION_HOUR,
    )


def demo_state(hass_url: str) -> SandboxState:
    """The simulator's demo: a live red run an hour from now, a third meter for the gateway."""
    state = SandboxState(demo_config(hass_url))
    state.red_start = state.default_red_start(1)
    state.meters[MED_PRM] = Meter(MED_PRM, state.now().date() - timedelta(days=700))
    return state


async def start_sandbox(
    host: str, port: int, hass_url: str, config: Path
) -> tuple[web.AppRunner, SandboxState]:
    """The simulator, in this process; its state is kept in the configuration folder."""
    state = demo_state(hass_url)
    app = create_app(state)
    store = SandboxStore(config / SANDBOX_STATE)
    if store.load(state) and state.red_set:
        start, end = state.red_start, state.red_start + timedelta(hours=state.red_hours)
        log(f"Simulator: red run kept from the last run ({start:%d/%m %H:%M}–{end:%H:%M} UTC)")
    store.attach(state)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner, state


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
    """Start the simulator, provision Home Assistant, then wait until it stops.

    Exit status 1, with the step's message, when Home Assistant does not start or a demo step
    fails (Home Assistant is stopped then: its log says more).
    """
    hass_url = f"http://127.0.0.1:{args.port}"
    sandbox_url = f"http://127.0.0.1:{args.sandbox_port}"
    runner, _ = await start_sandbox(
        "127.0.0.1", args.sandbox_port, f"http://localhost:{args.port}", config
    )
    log(f"Simulator on {sandbox_url} (control: {sandbox_url}/_control)")
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()
    assert main_task is not None
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, main_task.cancel)
    status = 0
    rooms: asyncio.Task[None] | None = None
    try:
        async with aiohttp.ClientSession() as session:
            hass = Hass(session, hass_url, args.language)
            await hass.wait_until_up(process, args.timeout)
            log(f"Home Assistant answers ({time.monotonic() - started:.1f} s)")
            await hass.log_in(USERNAME, PASSWORD, TEXTS[args.language].user)
            await hass.wait_until_running(args.timeout)
            log(f"Home Assistant started ({time.monotonic() - started:.1f} s)")
            if not args.bare:  # the rooms' physics, in real time (tools/demo_rooms.py)
                rooms = asyncio.create_task(
                    demo_rooms.run(hass_url, USERNAME, PASSWORD, args.language)
                )
            if not args.bare:
                await provision(hass, sandbox_url, config, within=args.timeout)
            await hass.close()
        elapsed = time.monotonic() - started
        print(
            f"\n  Home Assistant:  http://localhost:{args.port}\n"
            f"  User / password: {USERNAME} / {PASSWORD}\n"
            f"  Simulator:       {sandbox_url}  (GET /_control, POST /_control/faults;\n"
            f"                   its state: {config / SANDBOX_STATE})\n"
            f"  Logs:            {config}/home-assistant.log\n"
            f"  Linky data are one day late: pick Yesterday in the Energy dashboard.\n"
            f"  Ready in {elapsed:.1f} s. Ctrl+C stops both.\n",
            flush=True,
        )
        if args.ready_file:
            await asyncio.to_thread(Path(args.ready_file).write_text, f"{elapsed:.1f}\n")
        if not args.exit_when_ready:
            await asyncio.to_thread(process.wait)
    except asyncio.CancelledError:
        log("Stopping Home Assistant and the simulator")
    except (DemoStepFailed, RuntimeError, aiohttp.ClientError) as err:
        log(f"The demo is not ready: {err}")
        log(f"Home Assistant's log: {config}/home-assistant.log. Stopping.")
        status = 1
    finally:
        if rooms is not None:
            rooms.cancel()
            with suppress(asyncio.CancelledError):
                await rooms
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await _stop(process)
        await runner.cleanup()
    return status


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
        help="seconds to wait for Home Assistant to answer, then to finish starting, then for "
        "the demo's costs (the back-fill), before giving up",
    )
    parser.add_argument(
        "--language",
        choices=LANGUAGES,
        default=DEFAULT_LANGUAGE,
        help="server language: entity names and the demo's own names (loads, automation, "
        "Tempo dashboard) follow it, and the entity ids of a fresh --config",
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

"""script/develop's steps, as it runs them: its own client over HTTP and the websocket against a
Home Assistant test instance, the integration against the simulator over loopback.

The demo's headline is the Tempo tariff: the options flow opens with a menu, the step must go
through it, and the demo must not say it is ready before the costs are there.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, timedelta
import re
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.delestage.const import DOMAIN
from tests.enedis.fake_enedis import quiet_sql
from tools import demo_check, develop
from tools.demo_content import TEMPO_DASHBOARD, TEXTS
from tools.hass_client import DemoStepFailed
from tools.sandbox.state import CONSUMER_PRM
from tools.sandbox.weather import PARIS

from .conftest import Sandbox

__all__ = ["quiet_sql"]
pytestmark = pytest.mark.usefixtures("recorder_mock", "quiet_sql")
CALLBACK = "/api/delestage/enedis/callback"
HISTORY_DAYS = 12  # a short history: the back-fill is quick


@pytest.fixture
async def demo(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, sandbox: Sandbox
) -> AsyncGenerator[develop.Hass]:
    """develop's client, logged in to the test instance (the demo server's time zone)."""
    await hass.config.async_update(time_zone="Europe/Paris")
    for component in (
        "api",
        "config",
        "websocket_api",
        "application_credentials",
        "lovelace",
        "energy",
        "repairs",
    ):
        assert await async_setup_component(hass, component, {})
    assert await async_setup_component(hass, DOMAIN, {})
    client = await hass_client()
    today = dt_util.now().astimezone(PARIS).date()
    sandbox.state.meters[CONSUMER_PRM].activation = today - timedelta(days=HISTORY_DAYS)
    sandbox.state.config.rte_live_sandbox = True
    sandbox.state.config.enedis_redirect_url = str(client.make_url(CALLBACK))
    async with aiohttp.ClientSession() as session:
        demo = develop.Hass(session, str(client.make_url("")).rstrip("/"))
        demo.token = client.session.headers["Authorization"].removeprefix("Bearer ")
        yield demo
        await demo.close()


async def _meter_and_tariff(demo: develop.Hass, sandbox: Sandbox) -> None:
    await develop.add_rte(demo, sandbox.url)
    await develop.add_enedis(demo, sandbox.url)
    await develop.set_tariff(demo)


async def test_the_demo_sets_the_tempo_tariff_through_the_options_menu(
    hass: HomeAssistant, demo: develop.Hass, sandbox: Sandbox
) -> None:
    await _meter_and_tariff(demo, sandbox)

    entry = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, CONSUMER_PRM)
    assert entry is not None
    assert entry.options["tariff"] == "tempo"
    assert entry.options["prices"]["red_hp"] == develop.TEMPO_PRICES["red_hp"]
    assert entry.options["subscription"] == develop.TEMPO_SUBSCRIPTION
    # What the README shows: numeric costs, the cost statistic of yesterday, the six series.
    day = await demo_check.last_linky_day(demo, sandbox.url)
    message = await demo_check.check_costs(demo, within=120, day=day)
    cost_yesterday = await demo_check.entity_of(demo, "linky_cost_yesterday", entry.entry_id)
    shown = float(hass.states.get(cost_yesterday).state)
    assert shown > 0
    said = re.search(r"cost yesterday (\d+\.\d\d) € \(Energy dashboard (\d+\.\d\d) €\)", message)
    assert said is not None, message
    # What the check said is what the device page and the Energy dashboard show, to the cent:
    # the back-fill writes each day once, from its curve (issue 20: 9.68 € from the day's
    # daily value spread flat, then 9.66 € from its curve, depending on when one looked).
    assert said[1] == said[2] == f"{shown:.2f}"


def _at(now: str) -> pytest.MarkDecorator:
    """Home Assistant's and the simulator's clock from ``now`` on, ticking (the back-fill waits)."""
    return pytest.mark.freeze_time(now, tick=True)


@pytest.mark.parametrize(
    ("published", "month_known"),
    [
        # CI's hour: after midnight, before Enedis's 08:00 (the demo's simulator publishes at 0).
        pytest.param(date(2026, 12, 7), True, marks=_at("2026-12-08T00:30:00+01:00")),
        # Just before the publication hour of Enedis, on the demo's simulator.
        pytest.param(date(2026, 12, 7), True, marks=_at("2026-12-08T07:59:00+01:00")),
        # The 1st of a month at night: yesterday is last month's, nothing of this one is known.
        pytest.param(date(2026, 11, 30), False, marks=_at("2026-12-01T00:30:00+01:00")),
    ],
)
async def test_the_demo_is_ready_at_night_with_yesterdays_costs(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    demo: develop.Hass,
    sandbox: Sandbox,
    published: date,
    month_known: bool,
) -> None:
    """The demo's simulator serves yesterday from midnight; the check waits for that day."""
    sandbox.state.config.enedis_publication_hour = develop.DEMO_PUBLICATION_HOUR
    sandbox.state.meters[CONSUMER_PRM].activation = published - timedelta(days=HISTORY_DAYS)

    day = await demo_check.last_linky_day(demo, sandbox.url)
    assert day == published
    await _meter_and_tariff(demo, sandbox)
    message = await demo_check.check_costs(demo, within=120, day=day)

    assert "Energy dashboard" in message
    assert f"on {published.isoformat()}" in message
    entry = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, CONSUMER_PRM)
    assert entry is not None
    shown = hass.states.get(
        await demo_check.entity_of(demo, "linky_cost_yesterday", entry.entry_id)
    )
    assert shown.attributes["date"] == published.isoformat()
    assert float(shown.state) > 0
    month = hass.states.get(await demo_check.entity_of(demo, "linky_cost_month", entry.entry_id))
    assert (month.state != "unknown") is month_known
    assert ("this month not known yet" in message) is not month_known


async def test_the_demo_does_not_say_ready_without_the_costs(
    demo: develop.Hass, sandbox: Sandbox
) -> None:
    """The old demo logged "Tempo tariff" and printed the URL with every cost unknown."""
    await develop.add_rte(demo, sandbox.url)
    await develop.add_enedis(demo, sandbox.url)  # no tariff set

    day = await demo_check.last_linky_day(demo, sandbox.url)
    with pytest.raises(DemoStepFailed, match=f"Tempo costs of {day.isoformat()} are missing"):
        await demo_check.check_costs(demo, within=0, day=day)


async def test_a_tariff_form_that_is_refused_stops_the_demo(
    demo: develop.Hass, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    await develop.add_rte(demo, sandbox.url)
    await develop.add_enedis(demo, sandbox.url)
    answers = {**develop.TARIFF_ANSWERS, "enedis_offpeak": {"offpeak_hours": "not hours"}}
    monkeypatch.setattr(develop, "TARIFF_ANSWERS", answers)

    with pytest.raises(DemoStepFailed, match=r"'enedis_offpeak'.*invalid_offpeak"):
        await develop.set_tariff(demo)


async def test_a_flow_that_does_not_create_the_entry_stops_the_demo(
    demo: develop.Hass, sandbox: Sandbox
) -> None:
    """A refused RTE application (wrong secret): an error, not a line of log and a demo."""
    result = await develop.add_entry(
        demo,
        "rte",
        [
            {
                "client_id": "sandbox-rte-client",
                "client_secret": "wrong",
                "environment": "sandbox",
                "advanced": {"api_base_url": f"{sandbox.url}/rte"},
            }
        ],
    )

    with pytest.raises(DemoStepFailed, match="RTE: the config flow ended with form"):
        develop.report("RTE", result)
    develop.report("RTE", {"type": "abort", "reason": "already_configured"})  # a re-run


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_the_tempo_dashboard_follows_the_server_language(
    demo: develop.Hass, language: str
) -> None:
    demo.language = language

    await develop.add_tempo_dashboard(demo)

    dashboards = await demo.ws({"type": "lovelace/dashboards/list"})
    assert [d["title"] for d in dashboards if d["url_path"] == TEMPO_DASHBOARD] == ["Tempo"]
    config: dict[str, Any] = await demo.ws({"type": "lovelace/config", "url_path": TEMPO_DASHBOARD})
    (column,) = config["views"][0]["cards"]
    yesterday, stacked, cost = column["cards"]
    texts = TEXTS[language]
    assert yesterday["title"] == texts.yesterday
    assert [card["name"] for card in yesterday["cards"]] == [
        texts.cost_yesterday,
        texts.consumption_yesterday,
    ]
    assert stacked["title"] == texts.series_title
    assert cost["title"] == texts.cost_title
    names = [entity["name"] for entity in stacked["entities"]]
    expected = {"en": "Blue HP", "fr": "Bleu HP"}[language]
    assert names[0] == expected
    assert len(names) == 6


async def test_the_tempo_dashboard_opens_on_yesterday_with_the_series_stacked(
    demo: develop.Hass,
) -> None:
    """Linky data are one day late: yesterday first; six series stacked per day, cost a line."""
    await develop.add_tempo_dashboard(demo)

    config = await demo.ws({"type": "lovelace/config", "url_path": TEMPO_DASHBOARD})
    yesterday, stacked, cost = config["views"][0]["cards"][0]["cards"]
    one_day_back = {"calendar": {"period": "day", "offset": -1}}
    assert [(card["type"], card["period"]) for card in yesterday["cards"]] == [
        ("statistic", one_day_back),
        ("statistic", one_day_back),
    ]
    assert [card["entity"] for card in yesterday["cards"]] == [
        f"delestage:linky_{CONSUMER_PRM}_cost",
        f"delestage:linky_{CONSUMER_PRM}_consumption",
    ]
    assert stacked["chart_type"] == "bar-stack"
    assert [e["entity"].rsplit("_", 2)[-2:] for e in stacked["entities"]] == [
        [colour, period] for colour in ("blue", "white", "red") for period in ("hp", "hc")
    ]
    assert (stacked["period"], stacked["stat_types"]) == ("day", ["change"])
    assert cost["chart_type"] == "line"
    assert [e["entity"] for e in cost["entities"]] == [f"delestage:linky_{CONSUMER_PRM}_cost"]


async def test_the_demo_ignores_home_assistants_notices_about_its_machine(
    hass: HomeAssistant, demo: develop.Hass
) -> None:
    """ "Core installation deprecated" concerns the demo's machine: ignored; other issues stay."""
    for domain, issue_id in (("homeassistant", "deprecated_method"), (DOMAIN, "some_issue")):
        ir.async_create_issue(
            hass,
            domain,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=issue_id,
        )
    await develop.ignore_host_notices(demo)
    registry = ir.async_get(hass)
    notice = registry.async_get_issue("homeassistant", "deprecated_method")
    ours = registry.async_get_issue(DOMAIN, "some_issue")
    assert notice is not None
    assert notice.dismissed_version is not None
    assert ours is not None
    assert ours.dismissed_version is None

"""Browser check of a full demo (script/develop, not --bare): what the README shows, as a user
sees it, in the server's language (``--language``, the browser's too).

1. The Linky meter's device page shows its costs (yesterday, this month) as amounts.
2. The "Tempo" dashboard, titled in the language: yesterday's cost is an amount above zero, the
   six Tempo series hold data and are stacked per day, the cost is a line.
3. The Energy dashboard on yesterday (picked in its date picker, as the quick start says; the
   browser then opens it there) shows a cost above zero; the choice is remembered.
4. ``delestage.shedding_report`` answers without arguments (REST, ``?return_response``).
5. A red period set through the simulator's ``/_control`` switches both demo loads off, and the
   logbook of a load names the automation that did it (its title in the language).
6. The same red period drives the demo's thermostats (the automation's pre-heating inputs): the
   ``generic_thermostat`` living room leaves the user's 20 °C for the period's target (coast or
   hold, at most the floor + 0.5 K; the preset-only bedroom's order is reported), and the
   "Pre-heating" dashboard graphs both.

Runs on the host with Playwright (see browser.py); Home Assistant and the simulator are started
by script/e2e. Screenshots in ``--shots``, named for the README (``--docs`` copies them there).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import re
import sys
import time
from typing import Any
from urllib.request import Request, urlopen

from playwright.sync_api import Page, expect, sync_playwright

from tools.demo_content import (
    BEDROOM_KEY,
    DEMO_METER,
    LIVING_KEY,
    LOAD_IDS,
    PREHEAT_DASHBOARD,
    TEMPO_DASHBOARD,
    TEMPO_SERIES,
    TEXTS,
    series_name,
    thermostat_unique_id,
)

from .browser import CHROMIUM_ARGS, REPO, TIMEOUT_MS, Check, copy_to_docs

# The frontend's own texts (hass_frontend translations) the check clicks on.
FRONTEND = {
    "en": {"select_period": "Select time period", "yesterday": "Yesterday"},
    "fr": {"select_period": "Sélectionner la période", "yesterday": "Hier"},
}
LOCALES = {"en": "en-GB", "fr": "fr-FR"}
CHECKS = (
    "meter_device_costs",
    "tempo_dashboard",
    "week_ahead",
    "energy_yesterday",
    "automation_title",
    "red_period",
    "preheating",
    "shedding_report",
)
CLOCK_SKEW = timedelta(minutes=5)  # beyond it, the server's clock is faked: the browser follows
RED_PERIOD_WAIT_S = 240  # the sandbox is polled about every minute (measured: 28-56 s)
# Screenshots the README shows (docs/screenshots), from the English run.
DOCS = {
    "en": {
        "tempo-dashboard": "linky-tempo-series.png",
        "week-ahead": "tempo-forecast.png",
        "energy-yesterday": "energy-tempo-cost.png",
        "linky-device": "linky-device-costs.png",
        "shedding-logbook": "shedding-logbook.png",
    },
    "fr": {"energy-yesterday": "energy-dashboard.png"},
}

# Every element matching a selector, through the shadow roots of the frontend's components.
DEEP_ALL = """(selector) => {
  const found = [];
  const walk = (root) => {
    root.querySelectorAll(selector).forEach((e) => found.push(e));
    root.querySelectorAll('*').forEach((e) => e.shadowRoot && walk(e.shadowRoot));
  };
  walk(document);
  return found;
}"""
# The series of each chart on the page: name, type, stack, points with a value, their total.
CHARTS_JS = f"""() => ({DEEP_ALL})('ha-chart-base').map((chart) => {{
  const option = chart.chart && chart.chart.getOption();
  if (!option) return [];
  return option.series.filter((s) => (s.data || []).length).map((s) => {{
    const values = s.data.map((p) => Array.isArray(p) ? p[1] : (p && p.value ? p.value[1] : p))
      .filter((v) => typeof v === 'number');
    return {{name: s.name, type: s.type, stack: s.stack || null, points: values.length,
             total: values.reduce((a, b) => a + b, 0)}};
  }});
}})"""
# The text of one component, shadow roots included.
DEEP_TEXT = """(element) => {
  const parts = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) parts.push(node.textContent);
    if (node.shadowRoot) walk(node.shadowRoot);
    node.childNodes.forEach(walk);
  };
  walk(element);
  return parts.join(' ').replace(/\\s+/g, ' ');
}"""
COST_SENSORS = ("linky_cost_yesterday", "linky_cost_month")
AMOUNT = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:€|EUR)|(?:€|EUR)\s*(\d+(?:[.,]\d+)?)")


def entity_name(key: str, language: str) -> str:
    """A sensor's own name in a language (the integration's translations)."""
    path = REPO / f"custom_components/delestage/translations/{language}.json"
    strings = json.loads(path.read_text(encoding="utf-8"))
    return str(strings["entity"]["sensor"][key]["name"])


def month_published(attributes: dict[str, dict[str, Any]]) -> bool:
    """Whether a day of "cost this month"'s month is published: the newest day ("cost
    yesterday"'s date) is in it. On the 1st, until that day is served, it is last month's."""
    newest = str(attributes["linky_cost_yesterday"].get("date", ""))
    return newest.startswith(str(attributes["linky_cost_month"].get("month", "?")))


def server_now(sandbox: str) -> datetime:
    """The demo's clock: the simulator runs in script/develop's process (``/_control`` now)."""
    with urlopen(f"{sandbox}/_control", timeout=10) as answer:
        return datetime.fromisoformat(json.load(answer)["now"])


def amounts(text: str) -> list[float]:
    """The euro amounts in a text ("€9.66", "9,66 €", "9.66 EUR")."""
    return [float((a or b).replace(",", ".")) for a, b in AMOUNT.findall(text)]


class DemoCheck(Check):
    """The demo as a user sees it, in one language."""

    def __init__(self, page: Page, url: str, sandbox: str, shots: Path, language: str) -> None:
        """One language's run."""
        super().__init__(page, url, sandbox, shots)
        self.language = language
        self.texts = TEXTS[language]

    def goto(self, path: str) -> None:
        """Open a page of the frontend and wait for it to be connected."""
        self.page.goto(f"{self.url}{path}")
        self.page.wait_for_function(
            "() => document.querySelector('home-assistant')?.hass?.user", timeout=TIMEOUT_MS
        )

    def hass(self, script: str, arg: Any = None) -> Any:
        """Evaluate ``script`` with the frontend's ``hass`` object as its first argument."""
        return self.page.evaluate(
            f"(arg) => ({script})(document.querySelector('home-assistant').hass, arg)", arg
        )

    def meter_device_costs(self) -> None:
        """The meter's device page shows both costs as amounts above zero."""
        device_id = self.hass(
            """(hass, prm) => Object.values(hass.devices).find(
                 (d) => (d.identifiers || []).some((i) => i[0] === 'delestage' && i[1] === prm)
               )?.id""",
            DEMO_METER,
        )
        assert device_id, f"No device for the Linky meter …{DEMO_METER[-4:]}"
        self.goto(f"/config/devices/device/{device_id}")
        shown = self.hass(
            """(hass, [deviceId, keys]) => hass.callWS({type: 'config/entity_registry/list'})
                 .then((entities) => entities
                   .filter((e) => e.device_id === deviceId && keys.includes(e.translation_key))
                   .map((e) => [e.translation_key, hass.states[e.entity_id]?.state,
                                hass.states[e.entity_id]?.attributes || {}]))""",
            [device_id, list(COST_SENSORS)],
        )
        assert sorted(key for key, _, _ in shown) == sorted(COST_SENSORS), shown
        attributes = {key: attrs for key, _, attrs in shown}
        name = entity_name(COST_SENSORS[0], self.language)
        sensors = self.page.locator("ha-card").filter(has_text=name).first
        costs = []
        for key, state, _ in shown:
            if key == "linky_cost_month" and not month_published(attributes):
                # The 1st of a month before its first day is published: unknown, not 0 €.
                assert state == "unknown", f"{key} is {state!r} with no day of its month"
                costs.append(f"this month {state}")
                continue
            assert float(state) > 0, f"{key} is {state!r}, not a cost"
            # The row's name next to the amount, as the frontend formats it (€9.66, 9,66 €).
            euros = f"{float(state):.2f}".replace(".", "[.,]")
            value = rf"(?:€\s*{euros}|{euros}\s*€)"
            name = re.escape(entity_name(key, self.language))
            row = re.compile(rf"{value}\s+{name}|{name}\s+{value}")
            expect(sensors).to_contain_text(row, timeout=TIMEOUT_MS)
            costs.append(f"{float(state):.2f} €")
        self.page.wait_for_timeout(1500)
        self.shot("linky-device", full_page=True)
        self.step(f"device page: costs {', '.join(costs)}")

    def tempo_dashboard(self) -> None:
        """Titles in the language, yesterday's cost, six stacked series with data, a cost line."""
        self.goto(f"/{TEMPO_DASHBOARD}")
        for title in (self.texts.yesterday, self.texts.series_title, self.texts.cost_title):
            expect(self.page.get_by_text(title).first).to_be_visible(timeout=TIMEOUT_MS)
        card = self.page.locator("hui-statistic-card").first
        expect(card).to_contain_text(self.texts.cost_yesterday, timeout=TIMEOUT_MS)
        self.page.wait_for_function(f"() => ({CHARTS_JS})().flat().length >= 7", timeout=TIMEOUT_MS)
        self.page.wait_for_timeout(2000)  # the charts' first animation
        charts = self.page.evaluate(CHARTS_JS)
        bars = [s for chart in charts for s in chart if s["type"] == "bar"]
        names = {series_name(self.texts, series) for series in TEMPO_SERIES}
        assert {s["name"].split(" (")[0] for s in bars} == names, bars
        stacks = {s["stack"] for s in bars}
        assert len(stacks) == 1, f"not one stack: {bars}"
        assert None not in stacks, f"grouped, not stacked: {bars}"
        assert all(s["points"] >= 20 for s in bars), f"series without data: {bars}"
        assert sum(s["total"] for s in bars) > 0, bars
        lines = [s for chart in charts for s in chart if s["type"] == "line"]
        assert len(lines) == 1, f"the cost is not one line: {charts}"
        assert lines[0]["total"] > 0, f"the cost line is empty: {lines}"
        yesterday = float(
            self.hass(
                """(hass, prm) => hass.callWS({type: 'recorder/statistic_during_period',
                     statistic_id: `delestage:linky_${prm}_cost`, types: ['change'],
                     calendar: {period: 'day', offset: -1}}).then((r) => r.change)""",
                DEMO_METER,
            )
        )
        assert yesterday > 0, f"cost yesterday {yesterday}"
        expect(card).to_contain_text(re.compile(r"\d"), timeout=TIMEOUT_MS)
        self.shot("tempo-dashboard", full_page=True)
        self.step(
            f"Tempo dashboard: {len(bars)} stacked series ({bars[0]['points']} days), "
            f"cost line, yesterday {yesterday:.2f} €"
        )

    def week_ahead(self) -> None:
        """The Tempo dashboard's second view: the seven forecast days, each with a colour."""
        self.goto(f"/{TEMPO_DASHBOARD}/week-ahead")
        expect(self.page.get_by_text(self.texts.forecast_title).first).to_be_visible(
            timeout=TIMEOUT_MS
        )
        table = self.page.locator("hui-markdown-card").first
        expect(table).to_be_visible(timeout=TIMEOUT_MS)
        colours = "|".join(self.texts.colours.values())
        day = re.compile(rf"(?:{colours})(?: ✔)?(?:\s+\d+ %){{3}}")
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while len(day.findall(text := table.evaluate(DEEP_TEXT))) < 7:
            assert time.monotonic() < deadline, f"not seven forecast days: {text}"
            self.page.wait_for_timeout(500)
        self.page.wait_for_timeout(1000)
        self.shot("week-ahead", full_page=True)
        self.step("week ahead: seven forecast days with their probabilities")

    def energy_yesterday(self) -> None:
        """Pick Yesterday in the Energy dashboard's date picker: a cost above zero, remembered."""
        frontend = FRONTEND[self.language]
        self.goto("/energy")
        selector = self.page.locator("hui-energy-period-selector")
        selector.get_by_role("button", name=frontend["select_period"]).click()
        self.page.get_by_text(frontend["yesterday"], exact=True).first.click()
        cost = self._energy_cost()
        self.page.wait_for_timeout(1500)
        self.shot("energy-yesterday")
        self.goto("/energy")  # a new visit opens on yesterday (the browser remembers it)
        assert self._energy_cost() == cost
        self.step(f"Energy dashboard on yesterday: {cost:.2f} € (remembered)")

    def _energy_cost(self) -> float:
        table = self.page.locator("hui-energy-sources-table-card").first
        expect(table).to_be_visible(timeout=TIMEOUT_MS)
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while time.monotonic() < deadline:
            found = amounts(table.evaluate(DEEP_TEXT))
            if found and max(found) > 0:
                return max(found)  # the grid total
            self.page.wait_for_timeout(500)
        raise AssertionError(f"No cost in the Energy dashboard: {table.evaluate(DEEP_TEXT)}")

    def shedding_report(self) -> None:
        """``delestage.shedding_report`` without arguments, as the README shows it (REST)."""
        token = self.hass("(hass) => hass.auth.data.access_token")
        request = Request(
            f"{self.url}/api/services/delestage/shedding_report?return_response",
            data=b"{}",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urlopen(request, timeout=60) as answer:
                body = json.load(answer)
        except OSError as err:
            detail = getattr(err, "read", lambda: b"")().decode(errors="replace")
            raise AssertionError(f"delestage.shedding_report: {err} {detail}") from err
        response = body.get("service_response")
        assert isinstance(response, dict), body
        assert isinstance(response.get("periods"), list), response
        self.step(f"delestage.shedding_report answers: {len(response['periods'])} periods")

    def red_period(self) -> None:
        """A red period now: both loads off, and the logbook names the automation."""
        request = Request(
            f"{self.sandbox}/_control/rte/red",
            data=json.dumps({"in_hours": 0, "hours": 2}).encode(),
            method="POST",
        )
        with urlopen(request, timeout=10) as answer:
            red_run = json.load(answer)
        self.step(f"red period set through /_control: {red_run}")
        started = time.monotonic()
        loads = [f"input_boolean.{key}" for key in LOAD_IDS]
        self.page.wait_for_function(
            "(ids) => ids.every((id) => "
            "document.querySelector('home-assistant').hass.states[id]?.state === 'off')",
            arg=loads,
            timeout=RED_PERIOD_WAIT_S * 1000,
        )
        self.step(f"both loads off {time.monotonic() - started:.0f} s after the red period")
        self.goto(f"/logbook?entity_id={loads[0]}")
        entry = self.page.get_by_text(self.texts.loads[LOAD_IDS[0]]).first
        expect(entry).to_be_visible(timeout=TIMEOUT_MS)
        logbook = self.page.locator("ha-logbook").first
        expect(logbook).to_contain_text(self.texts.automation, timeout=TIMEOUT_MS)
        self.page.wait_for_timeout(1000)
        self.shot("shedding-logbook")
        self.step(f"logbook: {self.texts.loads[LOAD_IDS[0]]} off, by {self.texts.automation!r}")

    def preheating(self) -> None:
        """The red period set by :meth:`red_period` also drives the demo's two thermostats."""
        ids = self.hass(
            """async (hass, uniques) => (await hass.callWS({type: 'config/entity_registry/list'}))
                 .filter((e) => uniques.includes(e.unique_id) && e.entity_id.startsWith('climate.'))
                 .map((e) => [e.unique_id, e.entity_id])""",
            [thermostat_unique_id(key) for key in (LIVING_KEY, BEDROOM_KEY)],
        )
        climates = dict(ids)
        living = climates[thermostat_unique_id(LIVING_KEY)]
        bedroom = climates[thermostat_unique_id(BEDROOM_KEY)]
        started = time.monotonic()
        # The living room's user set point is 20 °C, its floor 18 °C: during the period its
        # target is the coast or hold target (floor + 0.5 K). The bedroom's preset depends on
        # its predicted temperature (eco while it can coast, comfort to hold): reported only.
        self.page.wait_for_function(
            """(living) => document.querySelector('home-assistant').hass.states[living]
                 ?.attributes.temperature <= 18.5""",
            arg=living,
            timeout=RED_PERIOD_WAIT_S * 1000,
        )
        target = self.hass("(hass, id) => hass.states[id].attributes.temperature", living)
        preset = self.hass("(hass, id) => hass.states[id].attributes.preset_mode", bedroom)
        self.goto(f"/{PREHEAT_DASHBOARD}")
        self.page.wait_for_selector("hui-history-graph-card", timeout=TIMEOUT_MS)
        graphs = self.page.locator("hui-history-graph-card")
        expect(graphs).to_have_count(2, timeout=TIMEOUT_MS)
        self.page.wait_for_timeout(2000)  # the graphs' first drawing
        self.shot("preheating")
        self.step(
            f"pre-heating: {living} at {target} °C, {bedroom} on {preset}, "
            f"{time.monotonic() - started:.0f} s after the loads; dashboard with both graphs"
        )

    def automation_title(self) -> None:
        """The automations page lists the demo's automation under its title in the language."""
        self.goto("/config/automation/dashboard")
        expect(self.page.get_by_text(self.texts.automation, exact=True).first).to_be_visible(
            timeout=TIMEOUT_MS
        )
        self.step("automation titled in the server's language")


def main(argv: list[str] | None = None) -> int:
    """Run the check; exit status 0 when it passes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8124")
    parser.add_argument("--sandbox", default="http://127.0.0.1:8766")
    parser.add_argument("--language", choices=sorted(TEXTS), default="en")
    parser.add_argument("--username", default="demo")
    parser.add_argument("--password", default="delestage")
    parser.add_argument("--shots", default=str(REPO / "artifacts" / "e2e"))
    parser.add_argument("--docs", action="store_true", help="copy the README's screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    shots = Path(args.shots)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale=LOCALES[args.language],
            viewport={"width": 1400, "height": 1100},
            timezone_id="Europe/Paris",
        )
        # "Yesterday" in the Energy dashboard is the browser's: with the server's clock shifted
        # (DELESTAGE_FAKETIME, e.g. a check of the demo at night) the browser follows it.
        shifted = server_now(args.sandbox)
        if abs(shifted - datetime.now(UTC)) > CLOCK_SKEW:
            print(f"The server's clock is {shifted.isoformat()}: the browser's follows", flush=True)
            context.clock.install(time=shifted)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        check = DemoCheck(page, args.url, args.sandbox, shots, args.language)
        check.log_in(args.username, args.password)
        # Each check on its own: one failing does not hide what the others find.
        failures: list[str] = []
        for name in CHECKS:
            try:
                getattr(check, name)()
            except Exception as err:  # reported below, with a screenshot
                check.shot(f"failure-{name}", full_page=True)
                check.step(f"FAILED {name}: {str(err).splitlines()[0]}")
                failures.append(f"{name}: {err}")
        browser.close()
    if args.docs:  # a check's screenshot is taken once it passed
        copy_to_docs(shots, DOCS[args.language])
    if failures:
        print("\n\n".join(failures), file=sys.stderr)
        print(f"Demo check ({args.language}): {len(failures)} of {len(CHECKS)} failed", flush=True)
        return 1
    print(f"Demo check ({args.language}) passed; screenshots in {shots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

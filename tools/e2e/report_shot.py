"""Screenshot of the shedding report for the README, on a real Home Assistant (script/develop).

Usage (the config folder is seeded where Home Assistant sees it: script/develop runs in the root
file system, whose /tmp is /var/cache/delestage/rootfs/tmp):

    python3 -m tools.e2e.report_shot --seed /var/cache/delestage/rootfs/tmp/demo
    script/develop --config /tmp/demo --port 8218 --sandbox-port 8318 &
    /var/cache/delestage/e2e-venv/bin/python -m tools.e2e.report_shot --url http://127.0.0.1:8218

``--seed`` writes, before Home Assistant starts, what a past evening would have left: the red
Ecowatt hours seen (the report's log) and the shedding group's period (the shedding history).
The simulator's curve has no shed in it, so the browser part takes the loads off the meter's
statistics for those hours (1.5 kW, 30 % rebound after, like the benchmark's household), calls
``delestage.shedding_report`` and photographs the meter's device page.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
SHED_KW = 1.5
FLOOR_KW = 0.4
REBOUND = 0.3


def red_run(now: datetime) -> tuple[datetime, datetime]:
    """18:00-20:00 on the latest working day at least three days ago."""
    day = (now.astimezone(PARIS) - timedelta(days=3)).date()
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    start = datetime(day.year, day.month, day.day, 18, tzinfo=PARIS).astimezone(UTC)
    return start, start + timedelta(hours=2)


def seed(config: Path) -> None:
    """The report's Ecowatt log and the shedding history of that evening, in .storage."""
    start, end = red_run(datetime.now(UTC))
    storage = config / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    hours = {(start + timedelta(hours=n)).isoformat(): 3 for n in range(2)}
    (storage / "delestage.report_signals").write_text(
        json.dumps(
            {
                "version": 1,
                "minor_version": 1,
                "key": "delestage.report_signals",
                "data": {"hours": hours},
            }
        )
    )
    period = {
        "group": "automation.ecowatt_load_shedding",
        "start": (start - timedelta(minutes=15)).isoformat(),
        "end": end.isoformat(),
        "loads": ["switch.radiators"],
        "end_reason": "restored",
    }
    (storage / "delestage.shedding").write_text(
        json.dumps(
            {
                "version": 1,
                "minor_version": 1,
                "key": "delestage.shedding",
                "data": {"groups": {}, "periods": [period]},
            }
        )
    )
    print(f"Seeded a shed red run {start.isoformat()} - {end.isoformat()} in {storage}")


SHED_JS = """async ([start, hours, shedKw, floorKw, rebound]) => {
  const hass = document.querySelector('home-assistant').hass;
  const ids = (await hass.callWS({type: 'recorder/list_statistic_ids', statistic_type: 'sum'}))
    .map(s => s.statistic_id).filter(id => /^delestage:linky_\\d+_consumption$/.test(id));
  const id = ids[0];
  const from = new Date(start);
  const to = new Date(from.getTime() + (hours + 3) * 3600e3);
  const rows = (await hass.callWS({type: 'recorder/statistics_during_period',
    start_time: from.toISOString(), end_time: to.toISOString(), statistic_ids: [id],
    period: 'hour', types: ['state', 'sum']}))[id];
  let removed = 0, delta = 0;
  const stats = rows.map((row, n) => {
    let change = 0;
    if (n < hours) {
      change = -Math.min(shedKw, Math.max(0, row.state - floorKw));
      removed -= change;
    } else {
      change = removed * rebound * [3, 2, 1][n - hours] / 6;
    }
    delta += change;
    const start = new Date(row.start).toISOString();
    return {start, state: row.state + change, sum: row.sum + delta};
  });
  await hass.callWS({type: 'recorder/import_statistics', metadata: {has_sum: true,
    mean_type: 0, name: null, source: 'delestage', statistic_id: id, unit_class: 'energy',
    unit_of_measurement: 'kWh'}, stats});
  await hass.callWS({type: 'recorder/adjust_sum_statistics', statistic_id: id,
    start_time: to.toISOString(), adjustment: delta, adjustment_unit_of_measurement: 'kWh'});
  await new Promise(r => setTimeout(r, 2000));
  const answer = await hass.callWS({type: 'execute_script', sequence: [
    {action: 'delestage.shedding_report', response_variable: 'report'},
    {stop: 'done', response_variable: 'report'}]});
  return {id, removed, answer};
}"""


def shoot(url: str, shots: Path, chromium: str, *, shed: bool = True) -> None:
    """Log in, shed the statistics of the seeded evening, run the report, photograph."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only in the e2e venv

    from .browser import CHROMIUM_ARGS, Check  # noqa: PLC0415

    start, end = red_run(datetime.now(UTC))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="en-GB", viewport={"width": 1280, "height": 900}, timezone_id="Europe/Paris"
        )
        page = context.new_page()
        page.set_default_timeout(60_000)
        check = Check(page, url, url, shots)
        check.log_in("demo", "delestage")
        if shed:  # once: a second run would take the loads off the statistics again
            hours = round((end - start).total_seconds() / 3600)
            result = page.evaluate(SHED_JS, [start.isoformat(), hours, SHED_KW, FLOOR_KW, REBOUND])
            print(json.dumps(result, indent=1))
        device_id = page.evaluate(
            """() => {
              const hass = document.querySelector('home-assistant').hass;
              const entity = Object.values(hass.entities).find(
                e => e.entity_id.includes('energy_avoided_by_the_last_shed_period'));
              return entity ? entity.device_id : null;
            }"""
        )
        page.goto(f"{url}/config/devices/device/{device_id}")
        page.wait_for_timeout(3000)
        check.shot("shedding-report-device")
        entity = page.evaluate(
            """() => Object.keys(document.querySelector('home-assistant').hass.states)
                 .find(id => id.includes('energy_avoided_by_the_last_shed_period'))"""
        )
        page.goto(f"{url}/config/devices/device/{device_id}?more-info-entity-id={entity}")
        page.wait_for_timeout(3000)
        check.shot("shedding-report-more-info")
        # The calendar: the past red run, its description ends with the report's figures.
        page.goto(f"{url}/calendar")
        page.wait_for_timeout(3000)
        page.get_by_text("Ecowatt: Red").first.click()
        page.wait_for_timeout(2000)
        check.shot("shedding-report-calendar")
        browser.close()


def main(argv: list[str] | None = None) -> int:
    """Seed or shoot."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", help="config folder to seed before Home Assistant starts")
    parser.add_argument("--url", default="http://127.0.0.1:8218")
    parser.add_argument("--shots", default="artifacts/report")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--photos-only", action="store_true", help="do not shed the statistics")
    args = parser.parse_args(argv)
    if args.seed:
        seed(Path(args.seed))
    else:
        shoot(args.url, Path(args.shots), args.chromium, shed=not args.photos_only)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

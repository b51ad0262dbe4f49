"""Screenshot of the demo's "Pre-heating" dashboard for docs/pre-heating.md (a real browser).

Usage, against a full demo (``script/develop``, not ``--bare``) once its red run is over (the
simulator's run starts an hour or two after the demo, and lasts three hours):

    script/develop --config /tmp/demo --port 8231 --sandbox-port 8331 &
    # ... wait for the end of the red run (GET /_control says when) ...
    /var/cache/delestage/e2e-venv/bin/python -m tools.e2e.preheat_shot --url http://127.0.0.1:8231 \
        --sandbox http://127.0.0.1:8331 --docs

It reads the red run from the simulator, summarises each demo thermostat's set point around it
from the recorder's history (printed: what the screenshot shows, in numbers), photographs the
dashboard, then the History page from ``--hours-before`` the run to 30 minutes after it, with
the bedroom's pilot-wire order (``--docs``: copied to docs/screenshots/preheating-history.png).
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
import json
from pathlib import Path
import sys
from typing import Any
from urllib.parse import urlencode
from urllib.request import urlopen

from playwright.sync_api import sync_playwright

from tools.demo_content import BEDROOM_KEY, PREHEAT_DASHBOARD

from .browser import CHROMIUM_ARGS, REPO, TIMEOUT_MS, Check, copy_to_docs

DOCS = {"preheating-history": "preheating-history.png"}
HISTORY_JS = """async ([start, end]) => {
  const hass = document.querySelector('home-assistant').hass;
  const ids = Object.keys(hass.states).filter((id) => id.startsWith('climate.'));
  const found = await hass.callWS({type: 'history/history_during_period', start_time: start,
    end_time: end, entity_ids: ids, minimal_response: false, no_attributes: false,
    significant_changes_only: false});
  const out = {};
  for (const [id, states] of Object.entries(found)) {
    out[id] = states.map((s) => [new Date((s.lu || s.lc) * 1000).toISOString(),
      s.a ? (s.a.temperature ?? s.a.preset_mode) : null, s.a ? s.a.current_temperature : null]);
  }
  return out;
}"""


def summary(history: dict[str, list[list[Any]]], start: datetime, end: datetime) -> dict[str, Any]:
    """Per thermostat: the targets asked before, during and after the run, the lowest reading."""
    result = {}
    for entity_id, rows in history.items():
        parsed = [(datetime.fromisoformat(at), target, reading) for at, target, reading in rows]
        during = [r for at, _, r in parsed if start <= at < end and isinstance(r, int | float)]
        result[entity_id] = {
            "targets before": sorted(
                {t for at, t, _ in parsed if at < start and t is not None}, key=str
            ),
            "targets during": sorted(
                {t for at, t, _ in parsed if start <= at < end and t is not None}, key=str
            ),
            "targets after": sorted(
                {t for at, t, _ in parsed if at >= end and t is not None}, key=str
            ),
            "lowest during": min(during) if during else None,
        }
    return result


def main(argv: list[str] | None = None) -> int:
    """Photograph the dashboard; print the thermostats' set points around the red run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8231")
    parser.add_argument("--sandbox", default="http://127.0.0.1:8331")
    parser.add_argument("--shots", default=str(REPO / "artifacts" / "preheat"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--docs", action="store_true", help="copy the screenshot to docs/")
    parser.add_argument(
        "--hours-before", type=float, default=1.5, help="hours of history shown before the run"
    )
    args = parser.parse_args(argv)
    with urlopen(f"{args.sandbox}/_control", timeout=10) as answer:
        run = json.load(answer)["red_run"]
    start, end = datetime.fromisoformat(run["start"]), datetime.fromisoformat(run["end"])
    shots = Path(args.shots)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="en-GB", viewport={"width": 1280, "height": 1000}, timezone_id="Europe/Paris"
        )
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        check = Check(page, args.url, args.sandbox, shots)
        check.log_in("demo", "delestage")
        since = (start - timedelta(hours=3)).isoformat()
        history = page.evaluate(HISTORY_JS, [since, (end + timedelta(hours=1)).isoformat()])
        print(json.dumps({"red_run": run, "thermostats": summary(history, start, end)}, indent=1))
        page.goto(f"{args.url}/{PREHEAT_DASHBOARD}")
        page.wait_for_selector("hui-history-graph-card", timeout=TIMEOUT_MS)
        page.wait_for_timeout(4000)  # the graphs' first drawing
        check.shot("preheating-dashboard", full_page=True)
        # The docs' graph: the History page over the run's window (the dashboard shows the last
        # 8 hours, mostly empty on a demo started shortly before its red run).
        shown = [*sorted(history), f"input_select.fil_pilote_{BEDROOM_KEY}"]
        window = urlencode(
            {
                "entity_id": ",".join(shown),
                "start_date": (start - timedelta(hours=args.hours_before)).isoformat(),
                "end_date": (end + timedelta(minutes=30)).isoformat(),
            }
        )
        page.goto(f"{args.url}/history?{window}")
        charts = page.locator("state-history-charts").first
        charts.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_timeout(4000)
        # The charts alone: the sidebar's badges say nothing of pre-heating.
        charts.screenshot(path=str(shots / "preheating-history.png"))
        browser.close()
    if args.docs:
        copy_to_docs(shots, DOCS)
    print(f"Screenshot in {shots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

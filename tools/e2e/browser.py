"""Drive Debian's Chromium with Playwright: log in, add an RTE entry through the UI config flow
against the simulator, check the device page lists its entities, then add a Linky meter through
the Enedis choice (the source menu first, then a Conso API token), save screenshots.

Runs on the host (any Python with the ``playwright`` package; the browser is /usr/bin/chromium,
never a Playwright download). Home Assistant and the simulator are started by script/e2e.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import re
import sys
import time
from urllib.request import urlopen

from playwright.sync_api import Page, expect, sync_playwright

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000
LINKY_PRM = "09123456789012"  # the simulator's consumer meter
# Screenshots the README shows (docs/screenshots): the French interface of the UI flows.
DOCS = {
    "03-rte-flow": "rte-config-flow.png",
    "05-rte-device": "rte-device.png",
    "06-linky-sources": "linky-sources.png",
}


ENTITIES = (
    ("sensor", "ecowatt_level_now"),
    ("sensor", "ecowatt_today"),
    ("sensor", "ecowatt_tomorrow"),
    ("binary_sensor", "ecowatt_red_now"),
    ("sensor", "tempo_today"),
)


def entity_names() -> list[re.Pattern[str]]:
    """Names of some RTE entities, in English or French (the server's language decides)."""
    names = []
    for platform, key in ENTITIES:
        variants = []
        for language in ("en", "fr"):
            path = REPO / f"custom_components/delestage/translations/{language}.json"
            strings = json.loads(path.read_text(encoding="utf-8"))
            variants.append(re.escape(strings["entity"][platform][key]["name"]))
        names.append(re.compile(rf"^\s*({'|'.join(variants)})\s*$"))
    return names


class Check:
    """One browser session against one Home Assistant."""

    def __init__(self, page: Page, url: str, sandbox: str, shots: Path) -> None:
        """Remember where things are."""
        self.page = page
        self.url = url.rstrip("/")
        self.sandbox = sandbox.rstrip("/")
        self.shots = shots
        self.started = time.monotonic()

    def step(self, message: str) -> None:
        """Progress line with the elapsed time."""
        print(f"[{time.monotonic() - self.started:6.1f} s] {message}", flush=True)

    def shot(self, name: str, *, full_page: bool = False) -> None:
        """Save a screenshot (of the whole page: what is below the fold too)."""
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=full_page)

    def log_in(self, username: str, password: str) -> None:
        """The login page, then the overview."""
        self.page.goto(self.url)
        self.page.locator("input[name=username]").fill(username)
        self.page.locator("input[name=password]").fill(password)
        self.shot("01-login")
        self.page.keyboard.press("Enter")
        self.page.wait_for_function(
            "() => document.querySelector('home-assistant')?.hass?.user", timeout=TIMEOUT_MS
        )
        self.page.wait_for_timeout(1000)
        self.shot("02-overview")
        self.step("logged in")

    def add_rte(self) -> None:
        """Settings → add integration → Délestage → RTE, with the simulator's base URL."""
        self.page.goto(f"{self.url}/config/integrations/dashboard/add?domain=delestage")
        self.page.get_by_role("button", name="OK").click()  # "Voulez-vous configurer… ?"
        self.page.get_by_text(re.compile("RTE Ecowatt")).first.click(timeout=TIMEOUT_MS)
        self.page.locator("input[name=client_id]").fill("sandbox-rte-client")
        self.page.locator("input[name=client_secret]").fill("sandbox-rte-secret")
        self.page.get_by_text("Avancé", exact=True).first.click()
        self.page.locator("input[name=api_base_url]").fill(f"{self.sandbox}/rte")
        self.shot("03-rte-flow")
        self.page.get_by_role("button", name=re.compile("Valider|Soumettre|Submit")).click()
        # The success step names the new device and offers an area.
        expect(self.page.get_by_role("textbox", name="Nom de l'appareil")).to_be_visible(
            timeout=TIMEOUT_MS
        )
        self.page.wait_for_timeout(500)
        self.shot("04-rte-created")
        finish = re.compile("terminer|finish|skip", re.I)
        self.page.get_by_role("button", name=finish).first.click()
        self.step("RTE entry created through the UI")

    def device_page(self) -> None:
        """Open the RTE device and check its entities are listed."""
        device_id = self.page.evaluate(
            """() => {
              const hass = document.querySelector('home-assistant').hass;
              const device = Object.values(hass.devices).find(
                d => (d.identifiers || []).some(i => i[0] === 'delestage'));
              return device ? device.id : null;
            }"""
        )
        if not device_id:
            raise AssertionError("No Délestage device in the device registry")
        self.page.goto(f"{self.url}/config/devices/device/{device_id}")
        for name in entity_names():
            expect(self.page.get_by_text(name).first).to_be_visible(timeout=TIMEOUT_MS)
        self.page.wait_for_timeout(1500)
        self.shot("05-rte-device")
        self.step(f"device page lists the {len(ENTITIES)} entities checked")

    def add_linky_conso_api(self) -> None:
        """Délestage → Enedis: the source menu, then Conso API with the simulator's token."""
        with urlopen(f"{self.sandbox}/conso_api/token?prm={LINKY_PRM}", timeout=10) as answer:
            token = json.load(answer)["token"]
        self.page.goto(f"{self.url}/config/integrations/dashboard/add?domain=delestage")
        self.page.get_by_role("button", name="OK").click()
        self.page.get_by_text(re.compile("Compteur Linky Enedis|Enedis Linky meter")).first.click()
        # The Enedis choice asks where the data comes from before anything else.
        sources = (
            re.compile("Jeton Conso API|Conso API token"),
            re.compile("Compte MyElectricalData|MyElectricalData account"),
            re.compile("propre application Enedis Data Connect|own Enedis Data Connect app"),
        )
        for source in sources:
            expect(self.page.get_by_text(source).first).to_be_visible(timeout=TIMEOUT_MS)
        self.shot("06-linky-sources")
        self.page.get_by_text(sources[0]).first.click()
        self.page.locator("input[name=api_token]").fill(token)
        self.page.get_by_text("Avancé", exact=True).first.click()
        self.page.locator("input[name=api_base_url]").fill(f"{self.sandbox}/conso_api/api")
        self.shot("07-linky-conso-api")
        self.page.get_by_role("button", name=re.compile("Valider|Soumettre|Submit")).click()
        expect(self.page.get_by_role("textbox", name="Nom de l'appareil")).to_be_visible(
            timeout=TIMEOUT_MS
        )
        self.page.wait_for_timeout(500)
        self.shot("08-linky-created")
        self.page.get_by_role("button", name=re.compile("terminer|finish|skip", re.I)).first.click()
        self.step("Linky entry created through the UI (source menu → Conso API)")


def copy_to_docs(shots: Path, names: dict[str, str]) -> None:
    """Copy screenshots to docs/screenshots under the names the README uses (those taken)."""
    for shot, name in names.items():
        if (source := shots / f"{shot}.png").exists():
            (REPO / "docs" / "screenshots" / name).write_bytes(source.read_bytes())


def main(argv: list[str] | None = None) -> int:
    """Run the check; exit status 0 when it passes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8124")
    parser.add_argument("--sandbox", default="http://127.0.0.1:8766")
    parser.add_argument("--username", default="demo")
    parser.add_argument("--password", default="delestage")
    parser.add_argument("--shots", default=str(REPO / "artifacts" / "e2e"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--docs", action="store_true", help="copy the README's screenshots")
    args = parser.parse_args(argv)
    shots = Path(args.shots)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="fr-FR", viewport={"width": 1280, "height": 860}, timezone_id="Europe/Paris"
        )
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        check = Check(page, args.url, args.sandbox, shots)
        try:
            check.log_in(args.username, args.password)
            check.add_rte()
            check.device_page()
            check.add_linky_conso_api()
        except Exception:
            check.shot("failure")
            raise
        finally:
            browser.close()
    if args.docs:
        copy_to_docs(shots, DOCS)
    print(f"Browser check passed; screenshots in {shots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

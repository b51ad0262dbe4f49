"""Benchmark: simulated days of polling against a fake DPObs that publishes on time.

Runs the real set-up, coordinator, Store and sensors minute by minute (frozen clock), with an
application id (so token calls count too) and three restarts a day. The fake publishes the
HH:00 observation at HH:10 and each 6-minute one 6 minutes after its time. Prints data calls and
token calls per day, calls caused by restarts, the delay between a publication and its display,
and the set-up time. Targets: 24 calls a day hourly, 240 at 6 minutes, no extra call for a restart,
within 50 calls a minute; set-up <= 1 s (DESIGN §5).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
import os
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from .conftest import station_entry
from .fake_dpobs import APPLICATION_ID, FakeDpobs, fixture_json

START = datetime(2026, 11, 23, 0, 0, 30, tzinfo=UTC)
RESTARTS = (time(3, 17), time(11, 43), time(19, 29))
SENSOR = "sensor.paris_montsouris_observation_time"


def publish(fake: FakeDpobs, now: datetime) -> None:
    """Serve what Météo-France would have published at ``now``."""
    hourly = (now - timedelta(minutes=10)).replace(minute=0, second=0, microsecond=0)
    six = now - timedelta(minutes=6)
    six = six.replace(minute=six.minute - six.minute % 6, second=0, microsecond=0)
    base = fixture_json("horaire_75114001.json")[0]
    fake.observations["horaire", "75114001"] = [
        {**base, "validity_time": hourly.isoformat().replace("+00:00", "Z")}
    ]
    fake.observations["infrahoraire-6m", "75114001"] = [
        {**base, "validity_time": six.isoformat().replace("+00:00", "Z")}
    ]


async def simulate(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake: FakeDpobs,
    url: str,
    resolution: str,
    hours: int,
) -> dict[str, Any]:
    freezer.move_to(START)
    publish(fake, START)
    entry = station_entry(
        url, resolution=resolution, auth_method="application_id", application_id=APPLICATION_ID
    )
    entry.add_to_hass(hass)
    started = os.times().elapsed  # wall clock that freezegun leaves alone
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    setup_seconds = os.times().elapsed - started

    calls_per_day: Counter[int] = Counter()
    per_minute: Counter[datetime] = Counter()
    restart_calls = 0
    lags: list[float] = []
    shown = hass.states.get(SENSOR).state  # type: ignore[union-attr]
    published_at: dict[str, datetime] = {}
    now = START
    for _ in range(hours * 60):
        now += timedelta(minutes=1)
        publish(fake, now)
        validity = fake.observations[
            "horaire" if resolution == "hourly" else "infrahoraire-6m", "75114001"
        ][0]["validity_time"]
        published_at.setdefault(validity, now)
        before = len(fake.data_requests)
        freezer.move_to(now)
        if now.time().replace(second=0) in RESTARTS:
            assert await hass.config_entries.async_reload(entry.entry_id)
            await hass.async_block_till_done()
            restart_calls += len(fake.data_requests) - before
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        made = len(fake.data_requests) - before
        calls_per_day[(now - START).days] += made
        per_minute[now.replace(second=0)] += made
        state = hass.states.get(SENSOR).state  # type: ignore[union-attr]
        if state != shown:
            shown = state
            key = datetime.fromisoformat(state).isoformat().replace("+00:00", "Z")
            lags.append((now - published_at[key]).total_seconds())
    await hass.config_entries.async_unload(entry.entry_id)
    return {
        "setup_seconds": setup_seconds,
        "calls_per_day": [calls_per_day[day] for day in range(max(1, hours // 24))],
        "max_calls_per_minute": max(per_minute.values()),
        "restart_calls": restart_calls,
        "token_calls": fake.token_requests,
        "max_display_lag_s": max(lags),
        "updates": len(lags),
    }


@pytest.mark.bench
@pytest.mark.parametrize(("resolution", "hours"), [("hourly", 7 * 24), ("six_minutes", 24)])
async def test_calls_per_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_dpobs: FakeDpobs,
    dpobs_url: str,
    resolution: str,
    hours: int,
) -> None:
    result = await simulate(hass, freezer, fake_dpobs, dpobs_url, resolution, hours)
    print(f"\nMétéo-France {resolution}, {hours} h, 3 restarts a day: {result}")

    # A restart calls only when a newer observation is due (6-minute data, a poll that was
    # about to happen anyway): the daily total never exceeds the planned polls.
    expected = 24 if resolution == "hourly" else 240
    assert all(calls <= expected for calls in result["calls_per_day"])
    if resolution == "hourly":
        assert result["restart_calls"] == 0
    assert result["max_calls_per_minute"] <= 50
    assert result["setup_seconds"] < 1.0

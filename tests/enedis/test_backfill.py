"""Tests of the Linky history back-fill (plan, stop rules, resume after restart) and refresh."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
import itertools
import logging
import random
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.core import HomeAssistant
import pytest

from custom_components.delestage.api.enedis import (
    EnedisClient,
    EnedisCurveNotActivatedError,
    EnedisNoConsentError,
    EnedisRateLimitedError,
    EnedisTechnicalError,
    RateLimiter,
)
from custom_components.delestage.enedis.backfill import (
    BackfillProgress,
    BackfillRunner,
    BackfillStep,
    StepKind,
    async_refresh_recent,
    backfill_store,
    months_before,
    next_refresh,
    plan_backfill,
)
from custom_components.delestage.enedis.statistics import local_day_bounds
from custom_components.delestage.hub import ConsumptionImport, get_hub

from .fake_enedis import (
    CLIENT_ID,
    CLIENT_SECRET,
    PARIS,
    PRM,
    FakeEnedis,
    base_url,
    fake,
    fake_server,
    quiet_sql,
)
from .test_statistics import check_continuous, read_rows

__all__ = ["fake", "fake_server", "quiet_sql"]

pytestmark = pytest.mark.usefixtures("quiet_sql")

TODAY = date(2026, 11, 23)


@pytest.fixture
async def client(fake_server: TestServer, fake: FakeEnedis) -> Any:
    """A client of the fake gateway; pacing relaxed (the benchmark checks real pacing)."""
    fake.per_second = None
    async with aiohttp.ClientSession() as session:
        yield EnedisClient(
            session,
            CLIENT_ID,
            CLIENT_SECRET,
            base_url=base_url(fake_server),
            limiter=RateLimiter(1000, 100000),
        )


def error(status: int, code: str, **headers: str) -> web.Response:
    """An Enedis error answer to inject."""
    return web.json_response({"code": code, "message": "x"}, status=status, headers=headers)


def runner(
    hass: HomeAssistant, client: EnedisClient, entry_id: str = "entry1", **kwargs: Any
) -> BackfillRunner:
    """A runner with a fresh Store object (as after a restart)."""
    kwargs.setdefault("today", TODAY)
    return BackfillRunner(hass, client, PRM, backfill_store(hass, entry_id), **kwargs)


# --------------------------------------------------------------------------- plan


def test_plan_fewest_calls() -> None:
    """36 months daily in 365-day calls, 24 months curve in 7-day calls, newest first."""
    steps = plan_backfill(TODAY)
    daily = [s for s in steps if s.kind is StepKind.DAILY]
    curve = [s for s in steps if s.kind is StepKind.CURVE]
    assert len(daily) == 4
    assert len(curve) == 105
    assert len(steps) == 109  # ≤ 115 (DESIGN §5)
    assert steps[0] == BackfillStep(StepKind.DAILY, date(2025, 11, 23), TODAY)
    assert daily[-1].start == date(2023, 11, 23)
    assert curve[0].end == TODAY
    assert curve[-1].start == date(2024, 11, 23)
    for series in (daily, curve):
        for newer, older in itertools.pairwise(series):
            assert older.end == newer.start  # contiguous, no overlap
    assert all((s.end - s.start).days <= 7 for s in curve)
    assert all((s.end - s.start).days <= 365 for s in daily)
    both = plan_backfill(TODAY, production=True)
    assert len(both) == 218
    assert {s.kind for s in both[109:]} == {StepKind.PRODUCTION_DAILY, StepKind.PRODUCTION_CURVE}
    assert plan_backfill(TODAY, consumption=False, production=True) == both[109:]


def test_months_before() -> None:
    """Calendar months, clamped to the month's end."""
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 11, 23), 24) == date(2024, 11, 23)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)
    assert months_before(date(2024, 3, 30), 1) == date(2024, 2, 29)


def test_progress_dict() -> None:
    """What a sensor or diagnostics show; no PRM."""
    progress = BackfillProgress(done=10, total=109, data_calls=12)
    assert progress.percent == 9
    progress.current = BackfillStep(StepKind.CURVE, date(2026, 1, 1), date(2026, 1, 8))
    data = progress.as_dict()
    assert data["current"] == {"kind": "curve", "start": "2026-01-01", "end": "2026-01-08"}
    assert data["percent"] == 9
    assert PRM not in str(data)
    assert BackfillProgress(finished=True).percent == 100


# --------------------------------------------------------------------------- run


@pytest.mark.usefixtures("recorder_mock")
async def test_backfill_stops_at_activation(
    hass: HomeAssistant,
    client: EnedisClient,
    fake: FakeEnedis,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A meter activated 40 days ago: every day since is imported, nothing before; few calls."""
    caplog.set_level(logging.DEBUG, logger="custom_components.delestage.enedis.backfill")
    activation = TODAY - timedelta(days=40)
    fake.activation = activation
    seen: list[int] = []
    run = runner(hass, client, on_progress=lambda p: seen.append(p.done))
    progress = await run.async_run()
    assert progress.finished
    assert progress.done == progress.total == 109
    assert seen[:3] == [1, 2, 3]
    assert progress.oldest == {"daily": activation.isoformat(), "curve": activation.isoformat()}
    assert progress.data_calls == fake.data_calls
    # Daily: one 365-day call refused, then halving down to the activation day (at most two
    # calls per halving, 9 halvings of 365 days); the other daily chunks are skipped. Curve:
    # only the 6 weeks since activation (older windows skipped without a call).
    assert fake.calls_by_resource["courbe_de_charge_consommation"] == 6
    assert fake.calls_by_resource["consommation_quotidienne"] <= 1 + 2 * 9
    rows = await read_rows(hass)
    assert rows[0]["start"] == local_day_bounds(activation)[0].timestamp()
    assert rows[-1]["start"] == local_day_bounds(TODAY)[0].timestamp() - 3600
    check_continuous(rows)
    expected = sum(fake.daily_wh(activation + timedelta(days=i)) for i in range(40)) / 1000
    assert rows[-1]["sum"] == pytest.approx(expected, abs=1e-3)
    # Curve (not the flat daily spread) on every day: hours differ within a day.
    assert len({round(r["state"], 6) for r in rows[:24]}) > 1
    saved = hass_storage["delestage.enedis_backfill.entry1"]["data"]
    assert saved["done"] == 109
    assert PRM not in str(saved)
    ours = [r for r in caplog.records if r.name.startswith("custom_components")]
    assert all(PRM not in r.getMessage() for r in ours)
    # Progress at debug level, naming the meter (masked); one info line at start and end.
    meter = f"Linky …{PRM[-4:]}"
    info = [r.getMessage() for r in ours if r.levelno >= logging.INFO]
    assert len(info) == 2
    assert all(m.startswith(meter) for m in info)
    steps = [r.getMessage() for r in ours if r.levelno == logging.DEBUG and "step" in r.msg]
    assert len(steps) == 1 + 6  # the daily year with the activation, the 6 curve weeks
    assert steps[0].startswith(f"{meter} history back-fill: step 1/109")
    assert "starting" in info[0]
    assert "finished" in info[1]
    # Finished: running again costs nothing.
    calls = fake.data_calls
    assert (await runner(hass, client).async_run()).finished
    assert fake.data_calls == calls


@pytest.mark.usefixtures("recorder_mock")
async def test_resume_after_restart(
    hass: HomeAssistant, client: EnedisClient, fake: FakeEnedis, hass_storage: dict[str, Any]
) -> None:
    """A technical error mid-way: progress saved; a new runner (restart) continues there."""
    fake.activation = TODAY - timedelta(days=30)
    first = runner(hass, client)
    await first.async_load()
    # Let the daily part and two curve weeks pass, then fail.
    count = {"curve": 0}

    def fail_third_week(resource: str, _query: dict[str, str]) -> web.Response | None:
        if resource.startswith("courbe"):
            count["curve"] += 1
            if count["curve"] == 3:
                return error(500, "ADAM-DC-0500")
        return None

    fake.hook = fail_third_week
    with pytest.raises(EnedisTechnicalError):
        await first.async_run()
    saved = hass_storage["delestage.enedis_backfill.entry1"]["data"]
    assert saved["done"] == 4 + 2  # 4 daily steps + 2 curve weeks
    requests_before = list(fake.requests)
    # "Restart": new Store object, new runner; the plan date is kept from the store.
    second = runner(hass, client, today=TODAY + timedelta(days=3))
    progress = await second.async_load()
    assert (progress.done, progress.total, progress.finished) == (6, 109, False)
    progress = await second.async_run()
    assert progress.finished
    new_requests = fake.requests[len(requests_before) :]
    # The resumed run starts again at the failed week; earlier steps are not fetched again.
    assert new_requests[0][1]["dateFin"] == (TODAY - timedelta(days=14)).isoformat()
    assert fake.requests[len(requests_before) - 1] == new_requests[0]
    assert all(r[0].startswith("courbe") for r in new_requests)
    rows = await read_rows(hass)
    check_continuous(rows)
    expected = sum(fake.daily_wh(TODAY - timedelta(days=i)) for i in range(1, 31)) / 1000
    assert rows[-1]["sum"] == pytest.approx(expected, abs=1e-3)
    first_day = local_day_bounds(TODAY - timedelta(days=30))[0]
    assert len(rows) == (local_day_bounds(TODAY)[0] - first_day) / timedelta(hours=1)  # 721: DST


@pytest.mark.usefixtures("recorder_mock")
async def test_curve_not_activated(
    hass: HomeAssistant, client: EnedisClient, fake: FakeEnedis
) -> None:
    """Daily values imported; the curve part ends after one call and is reported."""
    fake.activation = TODAY - timedelta(days=10)
    fake.curve_enabled = False
    progress = await runner(hass, client).async_run()
    assert progress.finished
    assert progress.curve_available is False
    assert fake.calls_by_resource["courbe_de_charge_consommation"] == 1
    rows = await read_rows(hass)
    assert len(rows) == 10 * 24
    # Daily values spread evenly: each day's hours are equal.
    assert len({round(r["state"], 9) for r in rows[:24]}) == 1


@pytest.mark.usefixtures("recorder_mock")
async def test_production_meter_and_wrong_direction(
    hass: HomeAssistant, client: EnedisClient, fake: FakeEnedis
) -> None:
    """A producing meter fills both series; a non-producing one skips production after one call."""
    fake.activation = TODAY - timedelta(days=8)
    fake.producer = True
    progress = await runner(hass, client, production=True).async_run()
    assert progress.finished
    prod = await read_rows(hass, f"delestage:linky_{PRM}_production")
    assert len(prod) == 8 * 24
    assert prod[-1]["sum"] == pytest.approx(8 * 24.0)
    fake.producer = False
    fake.calls_by_resource.clear()
    progress = await runner(hass, client, "entry2", production=True).async_run()
    assert progress.finished
    assert fake.calls_by_resource["production_quotidienne"] == 1
    assert fake.calls_by_resource["courbe_de_charge_production"] == 1


@pytest.mark.usefixtures("recorder_mock")
async def test_gaps_and_short_429(
    hass: HomeAssistant, client: EnedisClient, fake: FakeEnedis
) -> None:
    """A week without curve keeps its daily values; a short 429 is waited out and retried."""
    fake.activation = TODAY - timedelta(days=14)
    fake.missing_curve_days = {TODAY - timedelta(days=d) for d in range(1, 8)}
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    fake.injected.append(error(429, "429", **{"Retry-After": "3"}))
    progress = await runner(hass, client, sleep=fake_sleep).async_run()
    assert progress.finished
    assert waits == [3.0]
    rows = await read_rows(hass)
    assert len(rows) == 14 * 24
    check_continuous(rows)
    expected = sum(fake.daily_wh(TODAY - timedelta(days=i)) for i in range(1, 15)) / 1000
    assert rows[-1]["sum"] == pytest.approx(expected, abs=1e-3)


@pytest.mark.usefixtures("recorder_mock")
async def test_shorter_daily_range_is_split(
    hass: HomeAssistant, client: EnedisClient, fake: FakeEnedis
) -> None:
    """If Enedis serves fewer than 365 days per call, the back-fill splits and loses nothing."""
    fake.activation = TODAY - timedelta(days=120)
    fake.daily_limit = 100
    fake.curve_enabled = False  # daily values only: every day comes from the split calls
    progress = await runner(hass, client).async_run()
    assert progress.finished
    rows = await read_rows(hass)
    check_continuous(rows)
    expected = sum(fake.daily_wh(TODAY - timedelta(days=i)) for i in range(1, 121)) / 1000
    assert rows[-1]["sum"] == pytest.approx(expected, abs=1e-3)
    assert len(rows) == (
        local_day_bounds(TODAY)[0] - local_day_bounds(TODAY - timedelta(days=120))[0]
    ) / timedelta(hours=1)


@pytest.mark.usefixtures("recorder_mock")
async def test_a_window_refused_for_good_is_recorded_and_skipped(
    hass: HomeAssistant, client: EnedisClient, fake: FakeEnedis, hass_storage: dict[str, Any]
) -> None:
    """A 400 that is not a history limit is not retried for ever: recorded, skipped."""
    fake.activation = TODAY - timedelta(days=20)
    fake.injected.append(error(400, "invalid_request"))
    progress = await runner(hass, client).async_run()
    assert progress.finished
    assert progress.refused == [
        {
            "kind": "daily",
            "start": (TODAY - timedelta(days=365)).isoformat(),
            "end": TODAY.isoformat(),
            "code": "invalid_request",
        }
    ]
    saved = hass_storage["delestage.enedis_backfill.entry1"]["data"]
    assert saved["refused"] == progress.refused
    assert (await runner(hass, client).async_load()).refused == progress.refused
    # Only that window was lost: the curve weeks since activation were imported.
    assert fake.calls_by_resource["courbe_de_charge_consommation"] >= 3


@pytest.mark.usefixtures("recorder_mock")
async def test_a_late_end_catches_up_to_the_refresh(
    hass: HomeAssistant,
    client: EnedisClient,
    fake: FakeEnedis,
    hass_storage: dict[str, Any],
) -> None:
    """Planned on day D, paused, resumed on D+12: the 12 days between are fetched too."""
    fake.activation = TODAY - timedelta(days=20)
    first = runner(hass, client)
    fake.hook = lambda resource, _query: (
        error(500, "ADAM-DC-0500") if resource.startswith("courbe") else None
    )
    with pytest.raises(EnedisTechnicalError):
        await first.async_run()  # the daily steps are done, the curve fails
    fake.hook = None

    later = TODAY + timedelta(days=12)
    fake.today = later
    second = runner(hass, client, today=later)
    progress = await second.async_run()
    assert progress.finished
    rows = await read_rows(hass)
    days = {datetime.fromtimestamp(r["start"], UTC).astimezone(PARIS).date() for r in rows}
    first_day = TODAY - timedelta(days=20)
    assert days == {first_day + timedelta(days=i) for i in range((later - first_day).days)}
    check_continuous(rows)
    saved = hass_storage["delestage.enedis_backfill.entry1"]["data"]
    assert saved["catch_ups"] == [[TODAY.isoformat(), later.isoformat()]]
    # After a restart the plan (with its catch-up) is the same, and finished.
    again = await runner(hass, client, today=later).async_load()
    assert (again.finished, again.total) == (True, progress.total)

    # Within the refresh's week, no catch-up: the daily refresh covers it.
    fake.today = TODAY + timedelta(days=7)
    assert (await runner(hass, client, "entry2", today=fake.today).async_run()).finished
    assert hass_storage["delestage.enedis_backfill.entry2"]["data"]["catch_ups"] == []


def days_heard(hass: HomeAssistant) -> dict[date, list[str]]:
    """What the features hear of each local day (hub imports): "curve" or "flat", in order."""
    heard: dict[date, list[str]] = {}

    async def listener(imported: ConsumptionImport) -> None:
        by_day: dict[date, list[tuple[datetime, datetime, float]]] = {}
        for reading in imported.readings:
            by_day.setdefault(reading[0].astimezone(PARIS).date(), []).append(reading)
        for day, readings in by_day.items():
            steps = {end - start for start, end, _ in readings}
            flat = steps == {timedelta(hours=1)} and len({round(wh, 6) for *_, wh in readings}) == 1
            heard.setdefault(day, []).append("flat" if flat else "curve")

    get_hub(hass).listen_consumption(listener)
    return heard


@pytest.mark.usefixtures("recorder_mock")
async def test_each_day_is_written_once_from_its_best_readings(
    hass: HomeAssistant, client: EnedisClient, fake: FakeEnedis
) -> None:
    """Issue 20: a day of the curve's period was written flat (its daily value spread), then
    from its curve; the tariff split costed the flat day in between (9.68 € vs 9.66 €)."""
    fake.activation = TODAY - timedelta(days=20)
    gap = TODAY - timedelta(days=9)
    fake.missing_curve_days = {gap}
    heard = days_heard(hass)

    assert (await runner(hass, client).async_run()).finished

    days = [TODAY - timedelta(days=i) for i in range(1, 21)]
    assert heard == {day: ["flat" if day == gap else "curve"] for day in days}
    rows = await read_rows(hass)
    check_continuous(rows)
    expected = sum(fake.daily_wh(day) for day in days) / 1000
    assert rows[-1]["sum"] == pytest.approx(expected, abs=1e-3)


@pytest.mark.usefixtures("recorder_mock")
async def test_a_pause_shows_the_daily_values_until_the_curve_comes(
    hass: HomeAssistant, client: EnedisClient, fake: FakeEnedis
) -> None:
    """A back-fill that waits (quota, outage) after its daily steps imports the days it kept
    for the curve from their daily values; the curve replaces them when the run resumes."""
    fake.activation = TODAY - timedelta(days=10)
    heard = days_heard(hass)
    fake.hook = lambda resource, _query: (
        error(429, "429", **{"Retry-After": "3600"}) if resource.startswith("courbe") else None
    )
    with pytest.raises(EnedisRateLimitedError):
        await runner(hass, client).async_run()
    days = [TODAY - timedelta(days=i) for i in range(1, 11)]
    assert heard == {day: ["flat"] for day in days}
    assert len(await read_rows(hass)) == 10 * 24

    fake.hook = None
    assert (await runner(hass, client).async_run()).finished
    assert heard == {day: ["flat", "curve"] for day in days}
    check_continuous(await read_rows(hass))


@pytest.mark.usefixtures("recorder_mock")
async def test_a_curve_window_refused_for_good_keeps_its_daily_values(
    hass: HomeAssistant, client: EnedisClient, fake: FakeEnedis
) -> None:
    """A curve week Enedis refuses (400) is written from the daily values kept for it."""
    fake.activation = TODAY - timedelta(days=10)
    heard = days_heard(hass)
    fake.hook = lambda resource, query: (
        error(400, "invalid_request")
        if resource.startswith("courbe") and query["dateFin"] == TODAY.isoformat()
        else None
    )
    assert (await runner(hass, client).async_run()).finished
    assert heard == {
        TODAY - timedelta(days=i): ["flat" if i <= 7 else "curve"] for i in range(1, 11)
    }


@pytest.mark.usefixtures("recorder_mock")
async def test_long_429_and_consent_errors_propagate(
    hass: HomeAssistant, client: EnedisClient, fake: FakeEnedis
) -> None:
    """A long wait or a consent problem is for the caller (retry later / reauth)."""
    fake.injected.append(error(429, "429", **{"Retry-After": "900"}))
    with pytest.raises(EnedisRateLimitedError) as err:
        await runner(hass, client).async_run()
    assert err.value.retry_after == 900
    fake.injected.append(error(403, "ADAM-DC-0008"))
    with pytest.raises(EnedisNoConsentError):
        await runner(hass, client).async_run()


# --------------------------------------------------------------------------- refresh


@pytest.mark.usefixtures("recorder_mock")
async def test_refresh_recent(hass: HomeAssistant, client: EnedisClient, fake: FakeEnedis) -> None:
    """Last 7 days in two calls; complete once yesterday's curve and daily are there."""
    result = await async_refresh_recent(hass, client, PRM, today=TODAY)
    assert result.complete
    assert result.yesterday == TODAY - timedelta(days=1)
    assert result.daily[-1].wh == fake.daily_wh(result.yesterday)
    assert result.curve_points == 7 * 48
    assert fake.data_calls == 2
    rows = await read_rows(hass)
    assert len(rows) == 7 * 24
    # Yesterday's curve not published yet: incomplete, the other days kept.
    fake.missing_curve_days = {TODAY - timedelta(days=1)}
    result = await async_refresh_recent(hass, client, PRM, today=TODAY)
    assert not result.complete
    check_continuous(await read_rows(hass))


@pytest.mark.usefixtures("recorder_mock")
async def test_refresh_without_curve(
    hass: HomeAssistant, client: EnedisClient, fake: FakeEnedis
) -> None:
    """Curve not activated: daily values imported, then the error for the repair issue."""
    fake.curve_enabled = False
    with pytest.raises(EnedisCurveNotActivatedError):
        await async_refresh_recent(hass, client, PRM, today=TODAY)
    assert len(await read_rows(hass)) == 7 * 24
    result = await async_refresh_recent(hass, client, PRM, today=TODAY, with_curve=False, days=2)
    assert result.complete
    assert fake.calls_by_resource["consommation_quotidienne"] == 2


@pytest.mark.usefixtures("recorder_mock")
async def test_refresh_production_and_no_data(
    hass: HomeAssistant, client: EnedisClient, fake: FakeEnedis
) -> None:
    """Production series; a 404 (nothing yet) is an incomplete day, not an error."""
    fake.producer = True
    result = await async_refresh_recent(hass, client, PRM, "production", today=TODAY)
    assert result.complete
    fake.injected.append(error(404, "no_data_found"))
    fake.injected.append(error(404, "no_data_found"))
    result = await async_refresh_recent(hass, client, PRM, "production", today=TODAY)
    assert not result.complete
    assert result.daily == ()


def test_next_refresh() -> None:
    """Tries through the day until yesterday is complete, then tomorrow morning; jittered."""
    rng = random.Random(1)
    morning = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 Paris
    first = next_refresh(morning, complete=False, rng=rng)
    assert (
        datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
        <= first
        <= datetime(2026, 11, 23, 7, 50, tzinfo=UTC)
    )
    later = next_refresh(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), complete=False, rng=rng)
    assert later.astimezone(UTC).hour == 9  # 10:30 Paris
    done = next_refresh(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), complete=True, rng=rng)
    assert done.date() == date(2026, 11, 24)
    night = next_refresh(datetime(2026, 11, 23, 21, 0, tzinfo=UTC), complete=False)
    assert night.date() == date(2026, 11, 24)
    assert night.tzinfo is UTC


@pytest.mark.usefixtures("recorder_mock")
async def test_unreadable_progress_starts_again(
    hass: HomeAssistant, client: EnedisClient, fake: FakeEnedis, hass_storage: dict[str, Any]
) -> None:
    """A damaged progress file is not fatal: the back-fill plans again."""
    hass_storage["delestage.enedis_backfill.entry1"] = {
        "version": 1,
        "minor_version": 1,
        "key": "delestage.enedis_backfill.entry1",
        "data": {"version": 1, "planned_on": "yesterday", "done": 50},
    }
    progress = await runner(hass, client).async_load()
    assert (progress.done, progress.total, progress.finished) == (0, 109, False)


@pytest.mark.usefixtures("recorder_mock")
async def test_concurrent_runs_do_not_repeat_steps(
    hass: HomeAssistant, client: EnedisClient, fake: FakeEnedis
) -> None:
    """Two overlapping async_run calls: each step is fetched once."""
    fake.activation = TODAY - timedelta(days=10)
    run = runner(hass, client)
    first, second = await asyncio.gather(run.async_run(), run.async_run())
    assert first.finished
    assert second.finished
    assert len(fake.requests) == len(set(map(str, fake.requests)))


@pytest.mark.usefixtures("recorder_mock")
async def test_refresh_recent_of_a_meter_activated_this_week(
    hass: HomeAssistant, client: EnedisClient, fake: FakeEnedis
) -> None:
    """Enedis refuses a week that starts before activation: yesterday alone is imported."""
    fake.activation = TODAY - timedelta(days=3)
    result = await async_refresh_recent(hass, client, PRM, today=TODAY)
    assert result.complete
    assert [value.day for value in result.daily] == [TODAY - timedelta(days=1)]
    assert result.curve_points == 48
    assert len(await read_rows(hass)) == 24

    fake.activation = TODAY  # activated today: nothing yet, and no error
    result = await async_refresh_recent(hass, client, PRM, today=TODAY)
    assert not result.complete
    assert result.daily == ()

"""The simulator's Consumption and Generation Forecast endpoints: shapes of the samples,
subscriptions, publication times, and consumption consistent with its Tempo colours."""

from __future__ import annotations

from datetime import date, timedelta
from statistics import mean

from aiohttp import ClientSession
from aiohttp.test_utils import TestClient
import pytest

from custom_components.delestage.api.rte import (
    RteApi,
    RteClient,
    RteCredentials,
    RteNotSubscribedError,
    RteRequestError,
)
from tests.forecast.fake_rte_forecasts import fixture
from tests.shape import assert_same_shape
from tools.sandbox.rte import tempo_colour
from tools.sandbox.rte_forecasts import consumption_mean

from .conftest import Clock, bearer

BASE = "/rte/open_api"
SHORT_TERM = f"{BASE}/consumption/v1/short_term"
WEEKLY = f"{BASE}/consumption/v1/weekly_forecasts"
GENERATION = f"{BASE}/generation_forecast/v3/forecasts"
# The clock fixture: Monday 2026-11-23, 16:20 in Paris.
TODAY = date(2026, 11, 23)


def midnight(day: date) -> str:
    return f"{day.isoformat()}T00:00:00+01:00"


async def test_answers_have_the_shapes_of_the_samples(client: TestClient) -> None:
    headers = await bearer(client, "rte")
    short_term = await client.get(SHORT_TERM, params={"type": "D-1,D-2"}, headers=headers)
    weekly = await client.get(WEEKLY, headers=headers)
    tomorrow = TODAY + timedelta(days=1)
    generation = {
        kind: await client.get(
            GENERATION,
            params={
                "production_type": kind,
                "type": "D-1",
                "start_date": midnight(tomorrow),
                "end_date": midnight(tomorrow + timedelta(days=1)),
            },
            headers=headers,
        )
        for kind in ("WIND_ONSHORE", "WIND_OFFSHORE", "SOLAR")
    }

    assert short_term.status == weekly.status == 200
    short_body = await short_term.json()
    assert [block["type"] for block in short_body["short_term"]] == ["D-1", "D-2"]
    assert_same_shape(short_body, fixture("consumption_short_term.json"))
    weekly_body = await weekly.json()
    assert_same_shape(weekly_body, fixture("consumption_weekly_forecasts.json"))
    days = [block["start_date"][:10] for block in weekly_body["weekly_forecasts"]]
    assert days == [(TODAY + timedelta(days=n)).isoformat() for n in range(3, 10)]
    for response in generation.values():
        assert response.status == 200
        assert_same_shape(await response.json(), fixture("generation_forecast.json"))


async def test_not_subscribed_app_gets_403(client: TestClient) -> None:
    headers = await bearer(client, "rte", "sandbox-rte-ecowatt-only")
    for path in (SHORT_TERM, WEEKLY, GENERATION):
        response = await client.get(path, headers=headers)
        assert response.status == 403
        assert (await response.json())["error"] == "access_denied"
    assert (await client.get(SHORT_TERM)).status == 401


async def test_day_ahead_curves_appear_in_the_morning(client: TestClient, clock: Clock) -> None:
    clock.now = clock.now.replace(hour=5)  # 06:00 in Paris
    headers = await bearer(client, "rte")
    early = await (await client.get(SHORT_TERM, params={"type": "D-1"}, headers=headers)).json()
    clock.advance(hours=1, minutes=30)  # 07:30, the token still valid
    later = await (await client.get(SHORT_TERM, params={"type": "D-1"}, headers=headers)).json()

    assert early == {"short_term": []}
    values = later["short_term"][0]["values"]
    assert len(values) == 48
    assert values[0]["start_date"] == midnight(TODAY + timedelta(days=1))


async def test_realised_stops_now_and_dates_select_days(client: TestClient) -> None:
    headers = await bearer(client, "rte")
    realised = await client.get(SHORT_TERM, params={"type": "REALISED"}, headers=headers)
    values = (await realised.json())["short_term"][0]["values"]
    assert len(values) == 32  # 00:00 → 16:00, the half hour in progress not yet
    ranged = await client.get(
        SHORT_TERM,
        params={
            "type": "REALISED",
            "start_date": midnight(TODAY - timedelta(days=3)),
            "end_date": midnight(TODAY - timedelta(days=1)),
        },
        headers=headers,
    )
    assert len((await ranged.json())["short_term"][0]["values"]) == 96
    bad = await client.get(
        SHORT_TERM, params={"type": "D-1", "start_date": "yesterday"}, headers=headers
    )
    assert bad.status == 400
    assert (await client.get(SHORT_TERM, params={"type": "D-9"}, headers=headers)).status == 400


async def test_generation_v3_rules(client: TestClient) -> None:
    headers = await bearer(client, "rte")
    today = {"start_date": midnight(TODAY), "end_date": midnight(TODAY + timedelta(days=1))}
    missing = await client.get(GENERATION, params={"type": "D-1", **today}, headers=headers)
    wrong_day = await client.get(
        GENERATION, params={"production_type": "SOLAR", "type": "D-1", **today}, headers=headers
    )
    two_days = await client.get(
        GENERATION, params={"production_type": "SOLAR", "type": "D-2", **today}, headers=headers
    )
    assert [missing.status, wrong_day.status, two_days.status] == [400, 400, 400]
    assert (await two_days.json())["error"] == "GENERATION_FORECAST_F04"


def test_consumption_follows_the_tempo_colours() -> None:
    winter = [date(2026, 12, 1) + timedelta(days=n) for n in range(120)]
    weekdays = [day for day in winter if day.weekday() < 5 and day.month in (12, 1, 2, 3)]
    by_colour = {
        colour: mean(consumption_mean(d) for d in weekdays if tempo_colour(d) == colour)
        for colour in ("BLUE", "WHITE", "RED")
    }
    assert by_colour["RED"] > by_colour["WHITE"] + 2_000 > by_colour["BLUE"] + 4_000


async def test_the_client_reads_the_simulator(client: TestClient) -> None:
    """The real client, over a real socket, against the simulator (the join the HA side uses)."""
    base = str(client.make_url("/rte")).rstrip("/")
    async with ClientSession() as session:
        rte = RteClient(
            session, RteCredentials("sandbox-rte-client", "sandbox-rte-secret"), base_url=base
        )
        short_term = await rte.async_get_short_term(("D-1", "D-2"))
        weekly = await rte.async_get_weekly_forecasts()
        tomorrow = TODAY + timedelta(days=1)
        wind = await rte.async_get_generation_forecast(
            "WIND_ONSHORE", "D-1", tomorrow, tomorrow + timedelta(days=1)
        )
        with pytest.raises(RteRequestError):
            await rte.async_get_generation_forecast("SOLAR", "D-2", tomorrow, tomorrow)
        other = RteClient(
            session, RteCredentials("sandbox-rte-ecowatt-only", "sandbox-rte-secret"), base_url=base
        )
        with pytest.raises(RteNotSubscribedError) as refused:
            await other.async_get_weekly_forecasts()

    d1 = short_term.get("D-1")
    assert d1 is not None
    assert d1.daily_means()[tomorrow].mean == pytest.approx(
        consumption_mean(tomorrow) * 1.01, rel=0.02
    )
    assert d1.daily_means()[tomorrow].complete
    assert len(weekly.days) == 7
    assert wind.daily_means("WIND_ONSHORE")[tomorrow].complete
    assert refused.value.api is RteApi.CONSUMPTION

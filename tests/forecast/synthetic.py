"""Synthetic Tempo seasons written in the columns of ``reference/data/tempo`` (for the tool tests).

Weather drives consumption, wind varies, RTE's rule (rolling 40/80 % quantiles, published
thresholds, stocks, calendar) with some noise picks the colours. Files can be given the holes
real files have: a day without temperature, a zero where RTE had not consolidated, a partial
last day, a missing row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
import math
from pathlib import Path
import random
from zoneinfo import ZoneInfo

from custom_components.delestage.forecast.model import quantile, red_threshold, white_threshold
from custom_components.delestage.forecast.rules import Colour, Stocks, day_of_season

PARIS = ZoneInfo("Europe/Paris")
FRENCH = {Colour.BLUE: "BLEU", Colour.WHITE: "BLANC", Colour.RED: "ROUGE"}


@dataclass(slots=True)
class Day:
    """One synthetic day (mean MW, °C)."""

    consumption: float
    forecast: float
    wind: float
    wind_forecast: float
    solar: float
    temperature: float
    colour: Colour = Colour.BLUE


def seasons(first: date, last: date, seed: int = 7) -> dict[date, Day]:
    """Days from ``first`` to ``last`` with colours chosen by RTE's rule."""
    rng = random.Random(seed)
    days: dict[date, Day] = {}
    anomaly = wind_anomaly = 0.0
    day = first
    while day <= last:
        anomaly = 0.8 * anomaly + rng.gauss(0, 2.2)
        wind_anomaly = 0.6 * wind_anomaly + rng.gauss(0, 1.0)
        season = -math.cos(2 * math.pi * (day.timetuple().tm_yday - 20) / 365.25)
        temperature = 11.5 + 7.5 * season + anomaly
        consumption = 48_000 + 2_300 * max(0.0, 15.5 - temperature) + rng.gauss(0, 400)
        consumption -= {5: 3_500, 6: 6_000}.get(day.weekday(), 0)
        wind = max(300.0, 4_500 + 2_600 * wind_anomaly)
        solar = 1_800 + 900 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 172) / 365.25)
        days[day] = Day(
            consumption,
            consumption + rng.gauss(0, 600),
            wind,
            max(0.0, wind + rng.gauss(0, 500)),
            solar,
            temperature,
        )
        day += timedelta(days=1)
    _colour(days, rng)
    return days


def _colour(days: dict[date, Day], rng: random.Random) -> None:
    ordered = sorted(days)
    nets = [days[d].forecast - days[d].wind_forecast - days[d].solar for d in ordered]
    stocks = Stocks(22, 43)
    for index, day in enumerate(ordered):
        if day.month == 9 and day.day == 1:
            stocks = Stocks(22, 43)
        window = sorted(nets[index - 365 : index] if index >= 365 else nets[:365])
        q40, q80 = quantile(window, 0.4), quantile(window, 0.8)
        z = (nets[index] - q40) / (q80 - q40) + rng.gauss(0, 0.08)
        j = day_of_season(day)
        colour = Colour.BLUE
        if stocks.red_allowed(day) and z > red_threshold(j, stocks.red):
            colour = Colour.RED
        elif stocks.white_allowed(day) and z > white_threshold(j, stocks.white, stocks.red):
            colour = Colour.WHITE
        days[day].colour = colour
        stocks = stocks.after(day, colour)


def write_files(
    folder: Path,
    days: dict[date, Day],
    *,
    holes: bool = False,
    suffix: str = "synthetic",
) -> None:
    """Write the four kinds of files; with ``holes``, the defects of real files."""
    ordered = sorted(days)
    last = ordered[-1]
    daily = [
        "Date,Nature,type_tempo,Consommation,Prévision_J-1,Prévision_J,Fioul,Charbon,Gaz,"
        "Nucléaire,Eolien,Solaire,Hydraulique,Pompage,Bioénergies,Ech_physiques,Taux_de_Co2,"
        "Ech_comm,sun,wind"
    ]
    tempo = ["Date,tempo_type"]
    temperature = ["AAAAMMJJ,0"]
    hourly = ["start_date,SOLAR_FORECAST_D1,EOLIEN_FORECAST_D1"]
    for index, day in enumerate(ordered):
        item = days[day]
        consumption = f"{item.consumption * 12:.2f}"
        forecast = f"{item.forecast * 12:.1f}"
        if holes and index % 41 == 13:
            continue  # a missing row
        if holes and day == last:
            consumption = "0.0"  # not consolidated yet
        if holes and index % 29 == 5:
            forecast = ""
        daily.append(
            f"{day},Données définitives,{FRENCH[item.colour]},{consumption},{forecast},"
            f"{forecast},,,,,{item.wind * 12:.2f},{item.solar * 12:.2f},,,,,,,,"
        )
        tempo.append(f"{day},{FRENCH[item.colour]}")
        if not (holes and index % 23 == 7):
            temperature.append(f"{day},{item.temperature}")
        hours = _hours(day)
        if holes and day == last:
            hours = hours[:5]  # partial last day
        hourly.extend(
            f"{start.isoformat(sep=' ')},{item.solar:.1f},{item.wind_forecast:.1f}"
            for start in hours
        )
    for name, lines in (
        (f"rte_daily_{suffix}.csv", daily),
        (f"tempo_{suffix}.csv", tempo),
        (f"france_mean_temperature_{suffix}.csv", temperature),
        (f"rte_wind_solar_forecast_d1_{suffix}.csv", hourly),
    ):
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _hours(day: date) -> list[datetime]:
    """Local hours of a Paris day (23 or 25 on DST days)."""
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), PARIS)
    hours = []
    current = start.astimezone(ZoneInfo("UTC"))
    while current < end:
        hours.append(current.astimezone(PARIS))
        current += timedelta(hours=1)
    return hours

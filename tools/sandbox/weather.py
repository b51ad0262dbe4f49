"""Synthetic but plausible French weather, shared by the Météo-France observations and the
heating part of the Linky load curves (so a cold spell shows in both)."""

from __future__ import annotations

from datetime import UTC, datetime
import math
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def _days(at: datetime) -> float:
    return (at - EPOCH).total_seconds() / 86400.0


def temperature_c(at: datetime, latitude: float = 48.8, altitude: float = 75.0) -> float:
    """Air temperature (°C) at a time: season + day/night + slow weather systems."""
    local = at.astimezone(PARIS)
    day_of_year = local.timetuple().tm_yday
    hour = local.hour + local.minute / 60
    days = _days(at)
    seasonal = 12.0 - 7.5 * math.cos(2 * math.pi * (day_of_year - 20) / 365.25)
    diurnal = 4.0 * math.cos(2 * math.pi * (hour - 15) / 24)
    systems = 3.0 * math.sin(2 * math.pi * days / 6.3 + 1.0) + 2.0 * math.sin(
        2 * math.pi * days / 11.7 + 2.5
    )
    return seasonal + diurnal + systems - 0.6 * (latitude - 46.0) - 0.0065 * altitude


def humidity_pct(at: datetime) -> int:
    """Relative humidity (%): high at dawn, low in the afternoon."""
    hour = at.astimezone(PARIS).hour
    value = 72 + 18 * math.cos(2 * math.pi * (hour - 5) / 24) + 6 * math.sin(_days(at) / 2.1)
    return max(25, min(100, round(value)))


def dew_point_c(temperature: float, humidity: float) -> float:
    """Dew point (°C) from the Magnus formula."""
    a, b = 17.62, 243.12
    gamma = math.log(max(humidity, 1.0) / 100) + a * temperature / (b + temperature)
    return b * gamma / (a - gamma)


def rain_mm_per_hour(at: datetime) -> float:
    """Rain rate (mm/h): it rains while a slow 'low pressure' wave is deep enough."""
    days = _days(at)
    wave = math.sin(2 * math.pi * days / 6.3 + 1.0) + 0.6 * math.sin(2 * math.pi * days / 1.7)
    return round(max(0.0, wave - 0.9) * 3.0, 1)


def pressure_sea_level_pa(at: datetime) -> int:
    """Sea-level pressure (Pa), rounded to 10 Pa like the observations."""
    days = _days(at)
    value = 101500 - 1200 * math.sin(2 * math.pi * days / 6.3 + 1.0) + 300 * math.cos(days)
    return round(value / 10) * 10


def wind_speed_ms(at: datetime) -> float:
    """Mean wind speed at 10 m (m/s)."""
    days = _days(at)
    return round(2.5 + 2.0 * abs(math.sin(2 * math.pi * days / 6.3 + 1.0)) + math.sin(days * 7), 1)


def wind_direction_deg(at: datetime) -> int:
    """Mean wind direction (degrees, 10° steps)."""
    return (round((230 + 80 * math.sin(_days(at) / 3.0)) / 10) * 10) % 360 or 360


def solar_irradiance_wm2(at: datetime, latitude: float = 48.8) -> float:
    """Global horizontal irradiance (W/m²): a clear-sky bell dimmed by clouds."""
    local = at.astimezone(PARIS)
    day_of_year = local.timetuple().tm_yday
    hour = local.hour + local.minute / 60 + local.second / 3600
    utc_offset = (local.utcoffset() or (local - local)).total_seconds() / 3600
    solar_noon = 12.0 + utc_offset - 1.0 + 0.1  # Paris is ~9 min east of Greenwich's meridian 0
    day_length = 12.0 - 4.0 * math.cos(2 * math.pi * (day_of_year + 10) / 365.25)
    half = day_length / 2
    if abs(hour - solar_noon) >= half:
        return 0.0
    elevation = math.sin(math.pi * (hour - solar_noon + half) / day_length)
    peak = 350 + 550 * (1 - math.cos(2 * math.pi * (day_of_year + 10) / 365.25)) / 2
    return round(peak * elevation * cloud_clearness(at) * (1 - (latitude - 46) * 0.01), 1)


def cloud_clearness(at: datetime) -> float:
    """Share of clear sky (0.2..1) over the day, from the same weather systems."""
    days = math.floor(_days(at))
    wave = math.sin(2 * math.pi * days / 6.3 + 1.0)
    return max(0.2, min(1.0, 0.65 - 0.4 * wave + 0.1 * math.sin(days * 3.7)))


def cloud_octas(at: datetime) -> int:
    """Total cloud cover in octas."""
    return max(0, min(8, round(8 * (1 - cloud_clearness(at)) + math.sin(_days(at) * 9))))

"""Météo-France DPObs: token, station list (ISO-8859-1 CSV) and observations (hourly, 6-min).

Paths are the real ones after ``https://public-api.meteofrance.fr`` (data) and
``https://portail-api.meteofrance.fr`` (``/token``); both are mounted under ``/meteofrance``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
import re
from typing import Any

from aiohttp import web

from . import weather
from .errors import (
    json_response,
    meteofrance_bad_request,
    meteofrance_invalid_token,
    meteofrance_throttled,
)
from .state import SandboxState

API = "/public/DPObs/v1"
CSV_HEADER = "Id_station;Id_omm;Nom_usuel;Latitude;Longitude;Altitude;Date_ouverture;Pack"


@dataclass(frozen=True, slots=True)
class SimStation:
    """A station of the simulated network; ``missing`` fields are always null there."""

    id: str
    omm: str
    name: str
    latitude: float
    longitude: float
    altitude: int
    opened: str
    pack: str
    missing: frozenset[str] = frozenset()


RADOME_MISSING = frozenset({"pres", "pmer", "n", "vv", "sss", "etat_sol", "t_10", "t_20"})
STATIONS = (
    SimStation(
        "75114001", "07156", "PARIS-MONTSOURIS", 48.8217, 2.3378, 75, "1872-01-01", "ETENDU"
    ),
    SimStation("69029001", "07480", "LYON-BRON", 45.7219, 4.9383, 201, "1920-01-01", "ETENDU"),
    SimStation(
        "01014002", "", "ARBENT", 46.2783, 5.6597, 534, "1990-05-01", "RADOME", RADOME_MISSING
    ),
    SimStation("25056001", "07288", "BESANÇON", 47.2491, 5.9887, 307, "1885-01-01", "ETENDU"),
    SimStation("45055001", "07249", "ORLÉANS", 47.9928, 1.7763, 123, "1938-01-01", "ETENDU"),
    SimStation("13054001", "07650", "MARIGNANE", 43.4377, 5.2160, 9, "1920-01-01", "ETENDU"),
    SimStation("29075001", "07110", "BREST-GUIPAVAS", 48.4444, -4.4122, 94, "1945-01-01", "ETENDU"),
    SimStation(
        "90035001",
        "",
        "BELFORT-CHÈVREMONT",
        47.6239,
        6.8950,
        422,
        "1995-03-01",
        "RADOME",
        frozenset({"insolh", "ray_glo01", "n", "sss", "t_10", "t_20"}),
    ),
)
BY_ID = {station.id: station for station in STATIONS}


def station_list_csv() -> bytes:
    """``liste-stations``: ``;``-separated, encoded in ISO-8859-1."""
    lines = [CSV_HEADER] + [
        f"{s.id};{s.omm};{s.name};{s.latitude};{s.longitude};{s.altitude};{s.opened};{s.pack}"
        for s in STATIONS
    ]
    return ("\n".join(lines) + "\n").encode("iso-8859-1")


def iso(at: datetime) -> str:
    """UTC ISO 8601 as the API writes it."""
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def observation(station: SimStation, validity: datetime, *, hourly: bool) -> dict[str, Any]:
    """One observation record, SI units (K, Pa, m/s, m, J/m²), nulls where not measured."""
    temp = weather.temperature_c(validity, station.latitude, station.altitude)
    humidity = weather.humidity_pct(validity)
    period = 3600 if hourly else 360
    irradiance = weather.solar_irradiance_wm2(validity, station.latitude)
    rain = weather.rain_mm_per_hour(validity)
    speed = weather.wind_speed_ms(validity)
    direction = weather.wind_direction_deg(validity)
    sea = weather.pressure_sea_level_pa(validity)
    record: dict[str, Any] = {
        "lat": station.latitude,
        "lon": station.longitude,
        "geo_id_insee": station.id,
        "reference_time": iso(validity + timedelta(minutes=10 if hourly else 6)),
        "insert_time": iso(validity + timedelta(minutes=8 if hourly else 4, seconds=31)),
        "validity_time": iso(validity),
        "t": round(temp + 273.15, 2),
        "td": round(weather.dew_point_c(temp, humidity) + 273.15, 2),
        "u": humidity,
        "dd": direction,
        "ff": speed,
        "vv": 20000 if rain == 0 else 6000,
        "etat_sol": 1 if rain else 0,
        "sss": 0.0,
        "n": weather.cloud_octas(validity),
        "insolh": round(60 * min(1.0, irradiance / 600))
        if hourly
        else round(6 * min(1.0, irradiance / 600)),
        "ray_glo01": round(irradiance * period),
        "pres": sea - round(station.altitude * 12 / 10) * 10,
        "pmer": sea,
        "t_10": round(temp + 273.15 + 1.5, 1),
        "t_20": round(temp + 273.15 + 2.5, 1),
    }
    if hourly:
        record |= {
            "tx": round(temp + 273.15 + 0.6, 2),
            "tn": round(temp + 273.15 - 0.6, 2),
            "ux": min(100, humidity + 4),
            "un": max(0, humidity - 4),
            "dxy": direction,
            "fxy": round(speed * 1.3, 1),
            "dxi": direction,
            "fxi": round(speed * 1.9, 1),
            "rr1": rain,
        }
    else:
        record |= {
            "dxi10": direction,
            "fxi10": round(speed * 1.7, 1),
            "rr_per": round(rain / 10, 1),
        }
    for key in station.missing:
        record[key] = None
    return record


class MeteoFranceApi:
    """Request handlers of the Météo-France simulator."""

    def __init__(self, state: SandboxState) -> None:
        """Bind to the simulator state."""
        self.state = state

    async def token(self, request: web.Request) -> web.Response:
        """``POST /token``: ``grant_type=client_credentials`` with the Basic application id."""
        form = await request.post()
        config = self.state.config
        authorization = request.headers.get("Authorization", "")
        if form.get("grant_type") != "client_credentials":
            return json_response(
                400,
                {"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"},
            )
        try:
            decoded = base64.b64decode(authorization.removeprefix("Basic ").strip()).decode()
        except ValueError:
            decoded = ""
        if decoded != f"{config.meteofrance_client_id}:{config.meteofrance_client_secret}":
            return json_response(
                401,
                {"error": "invalid_client", "error_description": "Client Authentication failed."},
            )
        lifetime = config.meteofrance_token_lifetime
        token = self.state.issue_token("meteofrance", config.meteofrance_client_id, lifetime)
        return json_response(
            200,
            {
                "access_token": token,
                "scope": "default",
                "token_type": "Bearer",
                "expires_in": lifetime,
            },
        )

    def _gate(self, request: web.Request) -> web.Response | None:
        """Authentication (``apikey`` header or Bearer token) and the 50 calls/min quota."""
        key = request.headers.get("apikey")
        if key is not None:
            if key != self.state.config.meteofrance_api_key:
                return meteofrance_invalid_token()
            who = f"key:{key}"
        else:
            owner = self.state.token_owner("meteofrance", request.headers.get("Authorization"))
            if owner is None:
                return meteofrance_invalid_token()
            who = f"app:{owner}"
        now = self.state.now()
        window = [
            t for t in self.state.meteofrance_calls.get(who, []) if now - t < timedelta(minutes=1)
        ]
        if len(window) >= self.state.config.meteofrance_quota_per_minute:
            self.state.meteofrance_calls[who] = window
            return meteofrance_throttled(now)
        window.append(now)
        self.state.meteofrance_calls[who] = window
        return None

    async def stations(self, request: web.Request) -> web.Response:
        """``GET /public/DPObs/v1/liste-stations``."""
        if (problem := self._gate(request)) is not None:
            return problem
        return web.Response(
            body=station_list_csv(),
            headers={"Content-Type": "text/plain; charset=ISO-8859-1"},
        )

    async def hourly(self, request: web.Request) -> web.Response:
        """``GET /public/DPObs/v1/station/horaire``."""
        return await self._observe(request, hourly=True)

    async def six_minutes(self, request: web.Request) -> web.Response:
        """``GET /public/DPObs/v1/station/infrahoraire-6m``."""
        return await self._observe(request, hourly=False)

    async def _observe(self, request: web.Request, *, hourly: bool) -> web.Response:
        if (problem := self._gate(request)) is not None:
            return problem
        station_id = request.query.get("id_station", "")
        if not re.fullmatch(r"\d{8}", station_id):
            return meteofrance_bad_request("Identifiant station sémantiquement incorrect")
        now = self.state.now()
        latest = self._latest_validity(now, hourly=hourly)
        wanted = latest
        if raw := request.query.get("date"):
            try:
                wanted = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                return meteofrance_bad_request("Le paramètre date est mal formé.")
            if wanted.tzinfo is None or wanted > now:
                return meteofrance_bad_request("Le paramètre date est une date future.")
        validity = self._nearest(wanted, latest, hourly=hourly)
        station = BY_ID.get(station_id)
        records = [] if station is None else [observation(station, validity, hourly=hourly)]
        fmt = request.query.get("format", "json")
        if fmt == "csv":
            return self._csv(records)
        if fmt == "geojson":
            features = [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                    "properties": {k: v for k, v in r.items() if k not in ("lat", "lon")},
                }
                for r in records
            ]
            return json_response(200, features)
        return json_response(200, records)

    @staticmethod
    def _latest_validity(now: datetime, *, hourly: bool) -> datetime:
        """Newest published observation: hourly ones at HH:10, 6-min ones 6 min after."""
        if hourly:
            return (now - timedelta(minutes=10)).replace(minute=0, second=0, microsecond=0)
        shifted = now - timedelta(minutes=6)
        return shifted.replace(minute=shifted.minute // 6 * 6, second=0, microsecond=0)

    @staticmethod
    def _nearest(wanted: datetime, latest: datetime, *, hourly: bool) -> datetime:
        """Observation nearest to ``wanted`` inside the 24 h retention window."""
        step = timedelta(hours=1) if hourly else timedelta(minutes=6)
        oldest = latest - timedelta(hours=24) + step
        wanted = min(max(wanted, oldest), latest)
        steps = round((wanted - oldest) / step)
        return oldest + steps * step

    @staticmethod
    def _csv(records: list[dict[str, Any]]) -> web.Response:
        if not records:
            header = "geo_id_insee;reference_time;insert_time;validity_time"
            return web.Response(text=header + "\n", content_type="text/csv")
        keys = [k for k in records[0] if k not in ("lat", "lon")]
        lines = [";".join(keys)] + [
            ";".join("" if r[k] is None else str(r[k]) for k in keys) for r in records
        ]
        return web.Response(text="\n".join(lines) + "\n", content_type="text/csv")


def create_app(state: SandboxState) -> web.Application:
    """The Météo-France sub-application."""
    api = MeteoFranceApi(state)
    app = web.Application()
    app.router.add_post("/token", api.token)
    app.router.add_get(f"{API}/liste-stations", api.stations)
    app.router.add_get(f"{API}/station/horaire", api.hourly)
    app.router.add_get(f"{API}/station/infrahoraire-6m", api.six_minutes)
    return app

"""MyElectricalData v2 simulator (``https://www.v2.myelectricaldata.fr/api``).

Facts: shared/reference/enedis-gateways.md §2. Served under ``/myelectricaldata/api``:
- ``GET /pdl/``: the account's meters; ``GET /enedis/consumption/daily|detail/{pdl}``,
  ``/enedis/production/daily|detail/{pdl}``, ``/enedis/power/{pdl}``, ``/enedis/contract/{pdl}``,
  with ``start``/``end`` (end excluded, capped to today) and ``use_cache``.
- ``Authorization: Bearer <client_secret>``; 401 ``{"detail": …}`` otherwise.
- Envelope ``{success, data, error, timestamp}``; business errors with HTTP 200.
- ``X-MED-Format: 2026`` → data in the Data Connect 2026 shape rebuilt by the gateway (no
  ``etapeMetier``/``typeValeur``/``modeCalcul``/``contexte``); without it → v5 ``meter_reading``
  and a ``Deprecation`` header. Load-curve ``d`` = interval START (the gateway shifts it).
- Daily quota per UTC day: 50 requests with ``use_cache=false``, 1000 with ``use_cache=true``
  (separate counters) → ``success: false``, ``RATE_LIMIT_EXCEEDED``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
import json
from typing import Any

from aiohttp import web

from .conso_api import _Relay
from .enedis import parse_day
from .errors import json_response
from .state import SandboxState
from .weather import PARIS

QUOTA = {False: 50, True: 1000}
RESOURCES = {
    ("consumption", "daily"): "consommation_quotidienne",
    ("consumption", "detail"): "courbe_de_charge_consommation",
    ("production", "daily"): "production_quotidienne",
    ("production", "detail"): "courbe_de_charge_production",
}
# Enedis codes the gateway names itself; the others come as ENEDIS_ERROR.
ENEDIS_CODES = {
    "ADAM-ERR0123": "ADAM-ERR0123",
    "ADAM-ERR0125": "DATE_TOO_OLD",
    "no_data_found": "NO_DATA",
}


class MyElectricalData:
    """Request handlers of the MyElectricalData simulator."""

    def __init__(self, state: SandboxState) -> None:
        """Bind to the simulator state."""
        self.state = state
        self.enedis = _Relay(state)
        self.counters: Counter[tuple[str, bool]] = Counter()

    def _envelope(self, data: Any = None, error: dict[str, Any] | None = None) -> web.Response:
        return json_response(
            200,
            {
                "success": error is None,
                "data": data,
                "error": error,
                "timestamp": self.state.now().replace(tzinfo=None).isoformat(timespec="seconds"),
            },
        )

    def _refused(self, request: web.Request) -> web.Response | None:
        authorization = request.headers.get("Authorization", "")
        if not authorization:
            return json_response(401, {"detail": "Not authenticated"})
        if authorization != f"Bearer {self.state.config.med_client_secret}":
            return json_response(401, {"detail": "Invalid authentication credentials"})
        return None

    def _over_quota(self, request: web.Request) -> web.Response | None:
        cached = request.query.get("use_cache", "false").lower() == "true"
        key = (self.state.now().date().isoformat(), cached)
        self.counters[key] += 1
        if self.counters[key] > QUOTA[cached]:
            return self._envelope(
                error={
                    "code": "RATE_LIMIT_EXCEEDED",
                    "message": f"Daily rate limit exceeded ({self.counters[key]}/{QUOTA[cached]})."
                    " Use cache to increase limit.",
                    "field": None,
                }
            )
        return None

    async def meters(self, request: web.Request) -> web.Response:
        """``GET /pdl/``."""
        if (refused := self._refused(request)) is not None:
            return refused
        return self._envelope(
            [
                {
                    "id": f"pdl-{meter.prm[-4:]}",
                    "usage_point_id": meter.prm,
                    "name": "Maison" if not meter.producer else "Maison solaire",
                    "has_consumption": meter.consumer,
                    "has_production": meter.producer,
                    "is_active": True,
                    "subscribed_power": meter.subscribed_power_kva,
                }
                for meter in self.state.meters.values()
                if meter.consent
            ]
        )

    async def measure(self, request: web.Request) -> web.Response:
        """``GET /enedis/{consumption,production}/{daily,detail}/{pdl}`` or ``/enedis/power/…``."""
        if (refused := self._refused(request)) is not None:
            return refused
        if (over := self._over_quota(request)) is not None:
            return over
        info = request.match_info
        resource = (
            "puissance_conso_max_quotidienne"
            if info["direction"] == "power"
            else RESOURCES.get((info["direction"], info.get("kind", "")))
        )
        prm = info["pdl"]
        if resource is None:
            return self._envelope(error={"code": "NOT_FOUND", "message": "Unknown route"})
        if prm not in self.state.meters or not self.state.meters[prm].consent:
            return self._envelope(
                error={"code": "ACCESS_DENIED", "message": "Access denied: PDL not found"}
            )
        today = self.state.now().astimezone(PARIS).date()
        start, end = parse_day(request.query.get("start")), parse_day(request.query.get("end"))
        if start is None or end is None:
            return self._envelope(
                error={"code": "INVALID_DATE_FORMAT", "message": "Dates as YYYY-MM-DD"}
            )
        end = min(end, today)
        if start >= end:
            start = end - timedelta(days=1)
        query: dict[str, str] = {
            "pointId": prm,
            "dateDebut": start.isoformat(),
            "dateFin": end.isoformat(),
        }
        if resource == "puissance_conso_max_quotidienne":
            query |= {"mesuresPas": "P1D", "grandeurPhysique": "PMA"}
        answer = self.enedis.answer_measure(resource, query, interval_start=True)
        assert isinstance(answer.body, bytes)
        body = json.loads(answer.body)
        if answer.status != 200:
            code = str(body.get("code") or body.get("error") or "")
            message = str(body.get("message") or body.get("error_description") or "")
            if code in ENEDIS_CODES:
                return self._envelope(error={"code": ENEDIS_CODES[code], "message": message})
            return self._envelope(
                error={"code": "ENEDIS_ERROR", "message": f"{code}: {message}", "field": None}
            )
        data = {
            "idPrm": body["idPrm"],
            "periode": body["periode"],
            "grandeur": body["grandeur"],
            **({"pas": body["pas"]} if "quotidienne" in resource else {}),
        }
        if request.headers.get("X-MED-Format") == "2026":
            return self._envelope(data)
        response = self._envelope(_v5(data, start, end))
        response.headers["Deprecation"] = "true"
        return response

    async def contract(self, request: web.Request) -> web.Response:
        """``GET /enedis/contract/{pdl}``: ``situation_contrat`` + synthesis (identity removed)."""
        if (refused := self._refused(request)) is not None:
            return refused
        if (over := self._over_quota(request)) is not None:
            return over
        meter = self.state.meters.get(request.match_info["pdl"])
        if meter is None or not meter.consent:
            return self._envelope(
                error={"code": "ACCESS_DENIED", "message": "Access denied: PDL not found"}
            )
        situation = [
            {
                "usage_point_id": meter.prm,
                "contract_type": "Contrat GRD-F",
                "distribution_tariff": "Tarif BT<=36kVA Courte Utilisation",
                "subscribed_power": {"unit": "kVA", "value": str(meter.subscribed_power_kva)},
                "segment": "C5",
            }
        ]
        if meter.producer:
            situation.append(
                {
                    "usage_point_id": meter.prm,
                    "contract_type": "Contrat GRD-A",
                    "subscribed_power": {"unit": "kVA", "value": "3"},
                    "segment": "P4",
                }
            )
        return self._envelope(
            {
                "situation_contrat": situation,
                "synthese_contrat": {
                    "consumption_last_activation_date": f"{meter.activation}T00:00:00+0100",
                    "services_level": "Communicant (ouvert aux services)",
                },
                "comptage": None,
            }
        )


def _v5(data: dict[str, Any], start: date, end: date) -> dict[str, Any]:
    """The v5 shape served to clients that do not ask for 2026 (``meter_reading``)."""
    grandeur = data["grandeur"][0]
    return {
        "meter_reading": {
            "usage_point_id": data["idPrm"],
            "start": start.isoformat(),
            "end": end.isoformat(),
            "quality": "BRUT",
            "reading_type": {"unit": grandeur["unite"]},
            "interval_reading": [
                {"value": point["v"], "date": point["d"]} for point in grandeur["points"]
            ],
        }
    }


def create_app(state: SandboxState) -> web.Application:
    """The MyElectricalData sub-application (paths under ``/api``)."""
    api = MyElectricalData(state)
    app = web.Application()
    app.router.add_get("/api/pdl/", api.meters)
    app.router.add_get("/api/enedis/contract/{pdl}", api.contract)
    app.router.add_get("/api/enedis/{direction}/{kind}/{pdl}", api.measure)
    app.router.add_get("/api/enedis/{direction:power}/{pdl}", api.measure)
    return app

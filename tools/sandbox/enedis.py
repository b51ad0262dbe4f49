"""Enedis Data Connect 2026: token, consent page (v2), subscribed services, measures, contract.

Paths are the real ones after ``https://gw.ext.prod.api.enedis.fr`` (data) and
``https://mon-compte-particulier.enedis.fr`` (consent page); both are mounted under ``/enedis``.
"""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta
import html
import re
from typing import Any

from aiohttp import web
from yarl import URL

from . import linky
from .errors import enedis_error, enedis_invalid_token, json_response
from .state import Consent, Meter, SandboxState
from .weather import PARIS

CURVE_MAX_DAYS = 7
CURVE_HISTORY_DAYS = 24 * 30 + 15 + 10  # 24 months + 15 days
DAILY_HISTORY_DAYS = 36 * 30 + 15 + 15  # 36 months + 15 days
MAX_CONSENT_DAYS = 3 * 366
RESOURCES = {
    # resource: (production?, curve?)
    "consommation_quotidienne": (False, False),
    "production_quotidienne": (True, False),
    "courbe_de_charge_consommation": (False, True),
    "courbe_de_charge_production": (True, True),
    "puissance_conso_max_quotidienne": (False, False),
}
DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$")


def duration_days(value: str) -> int | None:
    """Length in days of an ISO 8601 ``PnYnMnD`` duration, or None when malformed."""
    match = DURATION.match(value or "")
    if match is None or not any(match.groups()):
        return None
    years, months, days = (int(g or 0) for g in match.groups())
    return years * 365 + round(months * 30.44) + days


def parse_day(value: str | None) -> date | None:
    """Parse ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


class EnedisApi:
    """Request handlers of the Enedis simulator."""

    def __init__(self, state: SandboxState) -> None:
        """Bind to the simulator state; the demo meters have standing consents."""
        self.state = state
        now = state.now()
        for meter in state.meters.values():
            self._new_consent(meter.prm, now - timedelta(days=400), now + timedelta(days=695))

    def _new_consent(self, prm: str, start: datetime, end: datetime) -> Consent:
        consent = Consent(self.state.next_autorisation_id, prm, start, end)
        self.state.consents[consent.autorisation_id] = consent
        self.state.next_autorisation_id += 1
        return consent

    # --------------------------------------------------------------- token
    async def token(self, request: web.Request) -> web.Response:
        """``POST /oauth2/v3/token``: client credentials (Basic or form fields)."""
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            return json_response(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Unsupported grant_type value",
                },
            )
        client_id, secret = form.get("client_id"), form.get("client_secret")
        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("Basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except ValueError:
                decoded = ""
            client_id, _, secret = decoded.partition(":")
        config = self.state.config
        if client_id != config.enedis_client_id or secret != config.enedis_client_secret:
            return json_response(
                401,
                {"error": "invalid_client", "error_description": "Client Authentication failed."},
            )
        lifetime = config.enedis_token_lifetime
        token = self.state.issue_token("enedis", config.enedis_client_id, lifetime)
        return json_response(
            200,
            {
                "access_token": token,
                "scope": "am_application_scope default",
                "token_type": "Bearer",
                "expires_in": lifetime,
            },
        )

    def _authorized(self, request: web.Request) -> bool:
        return self.state.token_owner("enedis", request.headers.get("Authorization")) is not None

    # --------------------------------------------------------------- consent page
    async def authorize_page(self, request: web.Request) -> web.Response:
        """``GET /dataconnect/v2/oauth2/authorize``: the customer's consent page."""
        query = request.query
        problem = self._check_authorize(query)
        if problem is not None:
            return problem
        meters = "".join(
            f'<label><input type="radio" name="prm" value="{m.prm}"{" checked" if i == 0 else ""}>'
            f" {'Maison avec panneaux solaires' if m.producer else 'Maison'} — compteur {m.prm}"
            "</label><br>"
            for i, m in enumerate(self.state.meters.values())
        )
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in query.items()
        )
        page = f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Enedis — Partage de données (simulateur)</title>
<style>body{{font-family:sans-serif;max-width:40em;margin:3em auto}}button{{font-size:1.1em;
padding:.5em 1.5em;margin-right:1em}}.accept{{background:#1f5ea8;color:#fff;border:0}}</style>
</head><body>
<h1>Simulateur Enedis — consentement</h1>
<p>L'application <b>{html.escape(query["client_id"])}</b> demande l'accès aux données de votre
compteur Linky pendant <b>{html.escape(query["duration"])}</b> : consommation journalière,
courbe de charge, puissance maximale, contrat.</p>
<form method="post">{hidden}
<p>Compteur :</p>{meters}
<p><button class="accept" name="decision" value="accept" id="accept">J'accepte</button>
<button name="decision" value="refuse" id="refuse">Je refuse</button></p>
</form></body></html>"""
        return web.Response(text=page, content_type="text/html")

    def _check_authorize(self, query: Any) -> web.Response | None:
        missing = [k for k in ("client_id", "response_type", "duration") if not query.get(k)]
        if missing:
            return json_response(
                400,
                {
                    "error": "invalid_request",
                    "error_description": f"missing_parameter: {', '.join(missing)}",
                },
            )
        if query.get("client_id") != self.state.config.enedis_client_id:
            return json_response(
                400, {"error": "invalid_request", "error_description": "unknown client_id"}
            )
        if len(query.get("state", "")) > 100:
            return json_response(
                400,
                {"error": "invalid_request", "error_description": "state is over 100 characters"},
            )
        days = duration_days(query["duration"])
        if days is None:
            return json_response(
                400, {"error": "invalid_request", "error_description": "invalid_duration_format"}
            )
        if days > MAX_CONSENT_DAYS:
            return json_response(
                400, {"error": "invalid_request", "error_description": "maximum_duration_exceeded"}
            )
        return None

    async def authorize_decision(self, request: web.Request) -> web.StreamResponse:
        """``POST`` of the consent page: redirect with ``autorisation_id`` and ``state``."""
        form = await request.post()
        query = {k: str(v) for k, v in form.items()}
        problem = self._check_authorize(query)
        if problem is not None:
            return problem
        target = query.get("redirect_uri") or self.state.config.enedis_redirect_url
        if not target:
            return json_response(
                400,
                {"error": "invalid_request", "error_description": "no redirect URL declared"},
            )
        params = {"state": query.get("state", "")}
        prm = query.get("prm") or next(iter(self.state.meters))
        if query.get("decision") != "accept" or prm not in self.state.meters:
            params |= {"error": "access_denied", "error_description": "Refus du client"}
        else:
            now = self.state.now()
            days = duration_days(query["duration"]) or 0
            consent = self._new_consent(prm, now, now + timedelta(days=days))
            self.state.meters[prm].consent = True
            self.state.changed()
            params = {"autorisation_id": str(consent.autorisation_id)} | params
        raise web.HTTPFound(str(URL(target).update_query(params)))

    # --------------------------------------------------------------- subscribed services
    async def subscribed_services(self, request: web.Request) -> web.Response:
        """``POST /subscribed_services/v1/``: the PRM and dates behind an ``autorisationId``."""
        if not self._authorized(request):
            return enedis_invalid_token()
        try:
            body = await request.json()
            autorisation_id = int(body["autorisationId"])
        except ValueError, KeyError, TypeError:
            return enedis_error(400, "invalid_request", "autorisationId manquant ou invalide")
        consent = self.state.consents.get(autorisation_id)
        if consent is None:
            return enedis_error(404, "no_data_found", "Aucune autorisation trouvée")
        meter = self.state.meters[consent.prm]
        status = "ACTIF" if consent.end > self.state.now() and meter.consent else "INACTIF"
        services = [
            {
                "pointId": meter.prm,
                "serviceCode": "ACCES",
                "dateDebut": consent.start.astimezone(PARIS).date().isoformat(),
                "dateFin": consent.end.astimezone(PARIS).date().isoformat(),
                "etatCode": status,
                "mesuresTypeCode": kind,
                "mesuresPas": step,
                "soutirage": meter.consumer,
                "injection": meter.producer,
                "autorisation": {"id": autorisation_id, "type": "CONSENTEMENT_CLIENT"},
            }
            for kind, step in (("CDC", "PT30M"), ("ENERGIE", "P1D"), ("PMAX", "P1D"))
        ]
        return json_response(200, {"nbTotalServices": len(services), "serviceSouscrit": services})

    # --------------------------------------------------------------- measures
    def _meter_or_error(self, prm: str) -> Meter | web.Response:
        meter = self.state.meters.get(prm)
        if meter is None or not meter.consent:
            return enedis_error(
                403,
                "ADAM-DC-0008",
                "No consent can be found for this customer and this usage point",
            )
        if not meter.holder:
            return enedis_error(
                403, "ADAM-DC-0007", "The customer is no longer the holder of this usage point"
            )
        return meter

    async def measure(self, request: web.Request) -> web.Response:
        """``GET /mesure_synchrone_auto/v2/{resource}``."""
        if not self._authorized(request):
            return enedis_invalid_token()
        return self.answer_measure(request.match_info["resource"], request.query)

    def answer_measure(
        self, resource: str, query: Any, *, interval_start: bool = False
    ) -> web.Response:
        """Enedis' answer to a measure request (also relayed by the gateways, ``gateways.py``).

        ``interval_start``: load-curve ``d`` = START of the interval (what MyElectricalData sends).
        """
        if resource not in RESOURCES:
            return enedis_error(404, "not_found", "Ressource inconnue")
        production, is_curve = RESOURCES[resource]
        prm = query.get("pointId", "")
        first, end = parse_day(query.get("dateDebut")), parse_day(query.get("dateFin"))
        today = self.state.now().astimezone(PARIS).date()
        if not re.fullmatch(r"\d{14}", prm) or first is None or end is None:
            return enedis_error(400, "invalid_request", "pointId, dateDebut ou dateFin invalide")
        if end <= first:
            return enedis_error(400, "invalid_request", "dateDebut doit précéder dateFin")
        if end > today:
            return enedis_error(400, "invalid_request", "dateFin ne peut pas dépasser aujourd'hui")
        if resource == "puissance_conso_max_quotidienne" and (
            query.get("mesuresPas") not in ("P1D", "P1M")
            or query.get("grandeurPhysique") not in ("PMA", "TOUT")
        ):
            return enedis_error(400, "invalid_request", "mesuresPas et grandeurPhysique requis")
        meter = self._meter_or_error(prm)
        if isinstance(meter, web.Response):
            return meter
        if (production and not meter.producer) or (not production and not meter.consumer):
            return enedis_error(400, "ADAM-ERR0069", "Le point ne dispose pas de ce sens de mesure")
        if is_curve and (end - first).days > CURVE_MAX_DAYS:
            return enedis_error(
                400, "ADAM-DC-0015", "La période demandée ne doit pas dépasser 7 jours"
            )
        history = CURVE_HISTORY_DAYS if is_curve else DAILY_HISTORY_DAYS
        if first < today - timedelta(days=history):
            return enedis_error(
                400, "ADAM-ERR0125", "La date de début est antérieure à l'historique disponible"
            )
        if end <= meter.activation:
            return enedis_error(
                400, "ADAM-ERR0123", "La période demandée est antérieure à la mise en service"
            )
        last = min(end - timedelta(days=1), self.state.last_linky_day())
        start = max(first, meter.activation)
        if last < start:
            return enedis_error(404, "no_data_found", "Aucune donnée pour cette période")
        grandeur = self._grandeur(
            resource, prm, start, last, production=production, interval_start=interval_start
        )
        # The keys of the real answers (shared/reference/captures): a load curve has neither
        # typeValeur nor pas (each point has its ``p``); max power has pas but no typeValeur.
        body: dict[str, Any] = {
            "idPrm": prm,
            "etapeMetier": "BRUT",
            "periode": {"dateDebut": first.isoformat(), "dateFin": end.isoformat()},
        }
        if is_curve:
            body["modeCalcul"] = "MESURE"
        elif resource == "puissance_conso_max_quotidienne":
            body |= {"modeCalcul": "MESURE", "pas": "P1D"}
        else:
            body |= {"typeValeur": "GLOBALE", "modeCalcul": "DIFF.INDEX", "pas": "P1D"}
        return json_response(200, body | {"grandeur": [grandeur], "contexte": []})

    @staticmethod
    def _grandeur(
        resource: str,
        prm: str,
        first: date,
        last: date,
        *,
        production: bool,
        interval_start: bool = False,
    ) -> dict[str, Any]:
        metier = "PROD" if production else "CONS"
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        if resource.startswith("courbe"):
            points = [
                {
                    "v": str(p.watts),
                    "d": p.wall_start if interval_start else p.wall_end,
                    "p": "PT30M",
                    "n": "B",
                    "iv": "0",
                    "ec": "0",
                }
                for p in linky.curve(prm, first, last, production=production)
            ]
            physique, unit = "PA", "W"
        elif resource == "puissance_conso_max_quotidienne":
            points = []
            for day in days:
                value, when = linky.max_power(prm, day)
                points.append({"v": str(value), "d": when})
            physique, unit = "PMA", "VA"
        else:
            points = [
                {"v": str(linky.daily_wh(prm, day, production=production)), "d": day.isoformat()}
                for day in days
            ]
            physique, unit = "EA", "Wh"
        return {
            "grandeurMetier": metier,
            "grandeurPhysique": physique,
            "unite": unit,
            "points": points,
            "calendrier": [],
        }

    # --------------------------------------------------------------- contract
    async def contract(self, request: web.Request) -> web.Response:
        """``GET /situation_contrat_auto/v1/{prm}`` (the PRM in the path)."""
        if not self._authorized(request):
            return enedis_invalid_token()
        meter = self._meter_or_error(request.match_info["prm"])
        if isinstance(meter, web.Response):
            return meter
        return json_response(200, contracts(meter))

    async def metering(self, request: web.Request) -> web.Response:
        """``GET /comptage_auto/v1/{prm}``: the meter's off-peak hours in ``relais`` (enedis.md §5).

        The demo meters are Tempo customers: Tempo's off-peak hours, 22:00 → 06:00.
        """
        if not self._authorized(request):
            return enedis_invalid_token()
        meter = self._meter_or_error(request.match_info["prm"])
        if isinstance(meter, web.Response):
            return meter
        return json_response(
            200, {"idPrm": meter.prm, "relais": {"plageHeuresCreuses": "HC (22H00-6H00)"}}
        )

    async def contract_without_prm(self, request: web.Request) -> web.Response:
        """A request outside the Swagger (PRM as a query parameter) gets a 500 (enedis.md §5)."""
        return enedis_error(500, "technical_error", "Technical error. Please try later.")


TARIFF = (
    "Tarif BT<=36kVA Moyenne Utilisation heures pleines heures creuses associées à deux saisons"
)


def _party(email: bool) -> dict[str, Any]:
    """Customer, contact and person blocks of a contract, masked like the captures."""
    contact = {"email": "<masque>", "landline": "<masque>"} if email else {"landline": "<masque>"}
    return {
        "customer": {
            "customer": {"adress": {"line1": "<masque>", "line4": "<masque>", "line6": "<masque>"}}
        },
        "contact_data": contact | ({} if email else {"phone": "<masque>"}),
        "person": {"title": "<masque>", "lastname": "<masque>", "firstname": "<masque>"},
    }


def contracts(meter: Meter) -> list[dict[str, Any]]:
    """``situation_contrat_auto/v1/{prm}``: a top-level array, like the real answer.

    Shaped after captures/med2026_situation_contrat_*.json: the supply contract
    ``Contrat GRD-F`` (C5, subscribed power), and for a producing meter the injection
    contract ``Contrat GRD-A`` (P4, no power).
    """
    supply = {
        "usage_point_id": meter.prm,
        "contract_start": f"{meter.activation.isoformat()}T00:00:00+0100",
        "contract_type": "Contrat GRD-F",
        "contractor": "<masque>",
        "distribution_tariff": TARIFF,
        "subscribed_power": {"unit": "kVA", "value": str(meter.subscribed_power_kva)},
        "segment": "C5",
    } | _party(email=False)
    supply["customer"]["customer"]["adress"]["line7"] = "<masque>"
    result = [supply]
    if meter.producer:
        result.append(
            {
                "usage_point_id": meter.prm,
                "contract_start": f"{meter.activation.isoformat()}T00:00:00+0200",
                "contract_type": "Contrat GRD-A",
                "segment": "P4",
            }
            | _party(email=True)
        )
    return result


def create_app(state: SandboxState) -> web.Application:
    """The Enedis sub-application."""
    api = EnedisApi(state)
    app = web.Application()
    app.router.add_post("/oauth2/v3/token", api.token)
    app.router.add_get("/dataconnect/v2/oauth2/authorize", api.authorize_page)
    app.router.add_post("/dataconnect/v2/oauth2/authorize", api.authorize_decision)
    app.router.add_post("/subscribed_services/v1/", api.subscribed_services)
    app.router.add_post("/subscribed_services/v1", api.subscribed_services)
    app.router.add_get("/mesure_synchrone_auto/v2/{resource}", api.measure)
    app.router.add_get("/situation_contrat_auto/v1/{prm}", api.contract)
    app.router.add_get("/situation_contrat_auto/v1", api.contract_without_prm)
    app.router.add_get("/situation_contrat_auto/v1/", api.contract_without_prm)
    app.router.add_get("/comptage_auto/v1/{prm}", api.metering)
    return app

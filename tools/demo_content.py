"""What script/develop creates, in the server's language (``--language``).

The demo's own names (home, user, the two loads, the load-shedding automation, the "Tempo"
dashboard and its cards) follow the server language like Délestage's entity names do, so an
English demo reads English throughout and a French one French. Ids stay the same in both
(``input_boolean.chauffe_eau``, ``automation.delestage_demo_shedding`` is given by its ``id``…):
the README and script/e2e name them.

Linky data arrive the morning after (Enedis publishes yesterday's curve around 08:00), so the
"Tempo" dashboard opens on yesterday: its top row shows yesterday's figures (statistic cards
with a calendar offset of one day back, which Home Assistant allows), then the last 30 days.
Its second view is the week ahead: the seven Tempo forecast sensors of the RTE entry and a
table of their probabilities.
The Energy dashboard cannot be told to: its period is the browser's own choice (its date
picker remembers the last preset picked, in the browser's local storage), hence the quick
start's hint to pick "Yesterday" there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The simulator's consumer meter (tools.sandbox.state.CONSUMER_PRM, whose package needs aiohttp:
# this module is also read by the browser check, which runs without it).
DEMO_METER = "09123456789012"
LOAD_IDS = ("chauffe_eau", "radiateurs")
AUTOMATION_ID = "delestage_demo_shedding"
TEMPO_DASHBOARD = "linky-tempo"
PREHEAT_DASHBOARD = "delestage-preheating"  # the demo rooms' (tools/demo_rooms.py)
# The demo rooms' keys (tools/demo_rooms.py): the living room (generic_thermostat), the bedroom
# (a preset-only heater). Their climate entities' unique ids: ``thermostat_unique_id``.
LIVING_KEY, BEDROOM_KEY = "sejour", "chambre"


def thermostat_unique_id(key: str) -> str:
    """A demo room's climate entity unique id (its entity id follows the server's language)."""
    return f"delestage_demo_{key}"


COLOURS = ("blue", "white", "red")
PERIODS = ("hp", "hc")
# The six series in Tempo's colours (HC lighter); greys for white, which would not show.
SERIES_COLOURS = {
    "blue_hp": "#1f5ea8",
    "blue_hc": "#8ab4e8",
    "white_hp": "#7a7a7a",
    "white_hc": "#c4c4c4",
    "red_hp": "#c62828",
    "red_hc": "#f08a80",
}
COST_COLOUR = "#e65100"
DAYS_SHOWN = 30


@dataclass(frozen=True, slots=True)
class DemoTexts:
    """The demo's names in one language."""

    home: str
    user: str
    loads: dict[str, str]
    automation: str
    dashboard: str
    yesterday: str
    cost_yesterday: str
    consumption_yesterday: str
    series_title: str
    cost_title: str
    cost: str
    colours: dict[str, str]
    forecast_view: str
    forecast_title: str
    forecast_table: str
    forecast_columns: tuple[str, str, str, str, str]
    weekdays: tuple[str, ...]
    forecast_days: tuple[str, ...]


TEXTS = {
    "en": DemoTexts(
        home="Délestage (demo)",
        user="Demo",
        loads={"chauffe_eau": "Water heater", "radiateurs": "Radiators"},
        automation="Délestage: switch the loads off during red hours",
        dashboard="Tempo",
        yesterday="Yesterday (Linky data arrive the morning after)",
        cost_yesterday="Cost yesterday",
        consumption_yesterday="Consumption yesterday",
        series_title=f"Consumption per Tempo period (kWh / day, last {DAYS_SHOWN} days)",
        cost_title=f"Cost (€ / day, last {DAYS_SHOWN} days)",
        cost="Cost",
        colours={"blue": "Blue", "white": "White", "red": "Red"},
        forecast_view="Week ahead",
        forecast_title="Tempo forecast (RTE's colour once published)",
        forecast_table="Probabilities",
        forecast_columns=("Day", "Expected", "Blue", "White", "Red"),
        weekdays=("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
        forecast_days=("Tomorrow", *(f"In {n} days" for n in range(2, 8))),
    ),
    "fr": DemoTexts(
        home="Délestage (démo)",
        user="Démo",
        loads={"chauffe_eau": "Chauffe-eau", "radiateurs": "Radiateurs"},
        automation="Délestage : couper les charges pendant les heures rouges",
        dashboard="Tempo",
        yesterday="Hier (les données Linky arrivent le lendemain matin)",
        cost_yesterday="Coût d'hier",
        consumption_yesterday="Consommation d'hier",
        series_title=f"Consommation par période Tempo (kWh / jour, {DAYS_SHOWN} derniers jours)",
        cost_title=f"Coût (€ / jour, {DAYS_SHOWN} derniers jours)",
        cost="Coût",
        colours={"blue": "Bleu", "white": "Blanc", "red": "Rouge"},
        forecast_view="Semaine à venir",
        forecast_title="Prévision Tempo (couleur de RTE une fois publiée)",
        forecast_table="Probabilités",
        forecast_columns=("Jour", "Prévue", "Bleu", "Blanc", "Rouge"),
        weekdays=("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
        forecast_days=("Demain", *(f"Dans {n} jours" for n in range(2, 8))),
    ),
}


def statistic_id(series: str, prm: str = DEMO_METER) -> str:
    """A Linky statistic of the demo meter: ``consumption``, ``cost``, ``blue_hp``…"""
    return f"delestage:linky_{prm}_{series}"


TEMPO_SERIES = tuple(f"{colour}_{period}" for colour in COLOURS for period in PERIODS)


def series_name(texts: DemoTexts, series: str) -> str:
    """ "Blue HP", "Rouge HC"…"""
    colour, period = series.split("_")
    return f"{texts.colours[colour]} {period.upper()}"


def shedding_automation(
    language: str, level_entity: str, thermostats: list[str] | None = None
) -> dict[str, Any]:
    """The shipped blueprint on the two demo loads, red hours only, no lead time.

    ``thermostats``: the demo rooms, pre-heated before each red run (``demo_rooms.py``).
    """
    preheating = {"thermostats": thermostats} if thermostats else {}
    return {
        "id": AUTOMATION_ID,
        "alias": TEXTS[language].automation,
        "use_blueprint": {
            "path": "delestage/ecowatt_load_shedding.yaml",
            "input": {
                "ecowatt_level": level_entity,
                "levels": "red",
                "loads": [f"input_boolean.{key}" for key in LOAD_IDS],
                "lead_time": 0,
                "restore": True,
                **preheating,
            },
        },
    }


def _yesterday_card(name: str, series: str) -> dict[str, Any]:
    """One figure of yesterday (Home Assistant's statistic card, one calendar day back)."""
    return {
        "type": "statistic",
        "entity": statistic_id(series),
        "name": name,
        "stat_type": "change",
        "period": {"calendar": {"period": "day", "offset": -1}},
    }


def forecast_view(language: str, forecast_entities: list[str]) -> dict[str, Any]:
    """The week ahead: the seven forecast sensors, then their probabilities in a table.

    ``forecast_entities``: the ``tempo_forecast_day_1`` … ``_7`` sensors (their ids follow the
    server's language). A day RTE has published is marked with a check mark.
    """
    texts = TEXTS[language]
    weekdays = list(texts.weekdays)
    header = " | ".join(texts.forecast_columns)
    rows = (
        "{% set days = " + repr(weekdays) + " %}"
        "{% for e in " + repr(forecast_entities) + " %}"
        "{% set d = state_attr(e, 'date') %}"
        "{% if d %}{% set p = strptime(d, '%Y-%m-%d') %}"
        "| {{ days[p.weekday()] }} {{ p.strftime('%d/%m') }} "
        "| {{ state_translated(e) }}{{ ' ✔' if state_attr(e, 'official') else '' }} "
        "{% for c in ['blue', 'white', 'red'] %}"
        "| {{ (state_attr(e, 'probability_' ~ c) | float(0) * 100) | round(0) | int }} % "
        "{% endfor %}|\n{% endif %}{% endfor %}"
    )
    table = {
        "type": "markdown",
        "title": texts.forecast_table,
        "content": f"| {header} |\n|---|---|---:|---:|---:|\n{rows}",
    }
    sensors = {
        "type": "entities",
        "title": texts.forecast_title,
        "entities": [
            {"entity": entity, "name": name}
            for entity, name in zip(forecast_entities, texts.forecast_days, strict=True)
        ],
    }
    column = {"type": "vertical-stack", "cards": [sensors, table]}
    return {"title": texts.forecast_view, "path": "week-ahead", "panel": True, "cards": [column]}


def tempo_dashboard(language: str, forecast_entities: list[str] | None = None) -> dict[str, Any]:
    """The "Tempo" dashboard: yesterday's cost and use, the six series stacked, the cost.

    With the forecast sensors, a second view shows the week ahead.
    """
    texts = TEXTS[language]
    stacked = {
        "type": "statistics-graph",
        "title": texts.series_title,
        "entities": [
            {
                "entity": statistic_id(series),
                "name": series_name(texts, series),
                "color": SERIES_COLOURS[series],
            }
            for series in TEMPO_SERIES
        ],
        "stat_types": ["change"],
        "period": "day",
        "days_to_show": DAYS_SHOWN,
        "chart_type": "bar-stack",
    }
    cost = {
        "type": "statistics-graph",
        "title": texts.cost_title,
        "entities": [{"entity": statistic_id("cost"), "name": texts.cost, "color": COST_COLOUR}],
        "stat_types": ["change"],
        "period": "day",
        "days_to_show": DAYS_SHOWN,
        "chart_type": "line",
    }
    yesterday = {
        "type": "grid",
        "columns": 2,
        "square": False,
        "title": texts.yesterday,
        "cards": [
            _yesterday_card(texts.cost_yesterday, "cost"),
            _yesterday_card(texts.consumption_yesterday, "consumption"),
        ],
    }
    # One column the width of the page (a panel view): yesterday, then the two graphs.
    column = {"type": "vertical-stack", "cards": [yesterday, stacked, cost]}
    views = [{"title": texts.dashboard, "panel": True, "cards": [column]}]
    if forecast_entities:
        views.append(forecast_view(language, forecast_entities))
    return {"views": views}

"""Checks that what a flow shows the user has a text in English and in French."""

from __future__ import annotations

from functools import cache
import json
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigSubentryFlow, OptionsFlow
from homeassistant.data_entry_flow import FlowHandler, FlowResultType

from custom_components.delestage.const import DOMAIN

TRANSLATIONS = Path(__file__).parents[1] / "custom_components" / DOMAIN / "translations"
LANGUAGES = ("en", "fr")


@cache
def translations(language: str) -> dict[str, Any]:
    """The integration's translations for ``language``."""
    data: dict[str, Any] = json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8"))
    return data


def lookup(language: str, path: str) -> Any:
    """The value at a dotted path of the translations, or None."""
    node: Any = translations(language)
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def flow_category(flow: FlowHandler[Any, Any, Any]) -> str | None:
    """Where the texts of ``flow`` live, or None for another integration's flow."""
    if isinstance(flow, ConfigFlow):
        return "config" if flow.handler == DOMAIN else None
    hass = flow.hass
    if isinstance(flow, ConfigSubentryFlow):
        entry = hass.config_entries.async_get_entry(flow.handler[0])
        if entry is None or entry.domain != DOMAIN:
            return None
        return f"config_subentries.{flow.handler[1]}"
    if isinstance(flow, OptionsFlow):
        entry = hass.config_entries.async_get_entry(str(flow.handler))
        return "options" if entry is not None and entry.domain == DOMAIN else None
    return None


def missing_flow_texts(flow: FlowHandler[Any, Any, Any], result: Any) -> list[str]:
    """The translation paths a flow result needs but that en.json or fr.json lacks."""
    category = flow_category(flow)
    if category is None or not isinstance(result, dict):
        return []
    needed: list[str] = []
    kind = result.get("type")
    if kind in (FlowResultType.FORM, FlowResultType.MENU, FlowResultType.EXTERNAL_STEP):
        step = f"{category}.step.{result['step_id']}"
        needed.append(step)
        needed.extend(
            f"{category}.error.{error}" for error in (result.get("errors") or {}).values()
        )
        if kind is FlowResultType.MENU:
            options = result.get("menu_options") or []
            needed.extend(f"{step}.menu_options.{option}" for option in options)
    elif kind is FlowResultType.ABORT:
        # Every reason, Home Assistant's own ones included (already_in_progress,
        # reauth_successful…): a custom integration gets no text from Home Assistant's common
        # strings, so the frontend would show the bare reason or an English fallback.
        needed.append(f"{category}.abort.{result['reason']}")
    return [
        f"{language}: {path}"
        for path in needed
        for language in LANGUAGES
        if lookup(language, path) is None
    ]

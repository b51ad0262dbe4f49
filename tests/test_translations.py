"""Every text exists in English and French, and every key the code uses has a text."""

from __future__ import annotations

from pathlib import Path
import re
from typing import Any

from homeassistant.data_entry_flow import FlowResultType
import pytest
import yaml

from custom_components.delestage.config_flow import DelestageConfigFlow
from custom_components.delestage.const import DOMAIN

from .translations import LANGUAGES, lookup, missing_flow_texts, translations

PACKAGE = Path(__file__).parents[1] / "custom_components" / DOMAIN
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# hassfest's rule for translation keys (selector option values included: the frontend looks the
# text up by the value): lower case, digits, "-" and "_", not first or last.
HASSFEST_KEY = re.compile(r"^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$")


def _leaves(node: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(node, dict):
        leaves: dict[str, str] = {}
        for key, value in node.items():
            leaves.update(_leaves(value, f"{prefix}.{key}" if prefix else key))
        return leaves
    return {prefix: node}


def test_english_and_french_have_the_same_texts() -> None:
    english, french = _leaves(translations("en")), _leaves(translations("fr"))

    assert sorted(set(english) ^ set(french)) == []
    for path, text in english.items():
        assert isinstance(text, str), path
        assert text.strip(), f"empty text at {path}"
        assert french[path].strip(), f"empty French text at {path}"
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(french[path])), path


def _keys(node: Any, prefix: str = "") -> list[str]:
    if not isinstance(node, dict):
        return []
    keys: list[str] = []
    for key, value in node.items():
        keys.append(f"{prefix}.{key}" if prefix else key)
        keys.extend(_keys(value, f"{prefix}.{key}" if prefix else key))
    return keys


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_key_passes_hassfest(language: str) -> None:
    bad = [
        path
        for path in _keys(translations(language))
        if not HASSFEST_KEY.match(path.split(".")[-1])
    ]

    assert bad == []


def test_consent_duration_options_are_translated_lower_case_values() -> None:
    from custom_components.delestage.enedis.oauth import CONSENT_DURATIONS, ENEDIS_DURATIONS

    assert CONSENT_DURATIONS == ("p1y", "p2y", "p3y")
    assert ENEDIS_DURATIONS == {"p1y": "P1Y", "p2y": "P2Y", "p3y": "P3Y"}
    for language in LANGUAGES:
        options = lookup(language, "selector.enedis_consent_duration.options")
        assert sorted(options) == list(CONSENT_DURATIONS), language


def test_every_translation_key_in_the_code_has_a_text() -> None:
    entity_keys = {key for platform in (lookup("en", "entity") or {}).values() for key in platform}
    known = entity_keys.union(
        *(lookup("en", section) or {} for section in ("exceptions", "issues", "selector"))
    )
    used = {
        key
        for path in PACKAGE.rglob("*.py")
        for key in re.findall(r'translation_key\s*=\s*"(\w+)"', path.read_text("utf-8"))
    }

    assert sorted(used - known) == []


def test_actions_have_texts_and_icons() -> None:
    services = yaml.safe_load((PACKAGE / "services.yaml").read_text("utf-8"))
    icons = (lookup_icons() or {}).get("services", {})

    for service, spec in services.items():
        assert service in icons, service
        for language in LANGUAGES:
            assert lookup(language, f"services.{service}.name"), (language, service)
            for field in (spec or {}).get("fields", {}):
                assert lookup(language, f"services.{service}.fields.{field}.name"), (
                    language,
                    service,
                    field,
                )


def lookup_icons() -> dict[str, Any]:
    import json

    data: dict[str, Any] = json.loads((PACKAGE / "icons.json").read_text("utf-8"))
    return data


def test_entity_icons_belong_to_translated_entities() -> None:
    for platform, keys in lookup_icons().get("entity", {}).items():
        for key in keys:
            assert lookup("en", f"entity.{platform}.{key}.name"), f"{platform}.{key}"


@pytest.mark.parametrize(
    ("result", "missing"),
    [
        ({"type": FlowResultType.ABORT, "reason": "no_such_reason"}, "config.abort.no_such_reason"),
        ({"type": FlowResultType.ABORT, "reason": "reauth_successful"}, None),
        ({"type": FlowResultType.ABORT, "reason": "already_in_progress"}, None),
        ({"type": FlowResultType.ABORT, "reason": "oauth_error"}, "config.abort.oauth_error"),
        ({"type": FlowResultType.FORM, "step_id": "no_such_step", "errors": {}}, "config.step"),
        (
            {"type": FlowResultType.MENU, "step_id": "user", "menu_options": ["rte", "gas"]},
            "config.step.user.menu_options.gas",
        ),
        ({"type": FlowResultType.MENU, "step_id": "user", "menu_options": ["rte"]}, None),
    ],
)
def test_flow_text_check_reports_what_is_missing(
    result: dict[str, Any], missing: str | None
) -> None:
    flow = DelestageConfigFlow()
    flow.handler = DOMAIN

    reported = missing_flow_texts(flow, result)

    if missing is None:
        assert reported == []
    else:
        assert reported, result
        assert all(missing in line for line in reported)
        assert {line.split(":")[0] for line in reported} == set(LANGUAGES)


# Abort reasons that Home Assistant's flow helpers produce by themselves (unique id checks,
# async_update_*_and_abort): a custom integration must translate them too.
IMPLICIT_ABORT_REASONS = {
    "config": (
        "already_configured",
        "already_in_progress",
        "reauth_successful",
        "reconfigure_successful",
    ),
    "config_subentries.relay": ("reconfigure_successful",),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_home_assistant_abort_reasons_have_our_texts(language: str) -> None:
    missing = [
        f"{category}.abort.{reason}"
        for category, reasons in IMPLICIT_ABORT_REASONS.items()
        for reason in reasons
        if not lookup(language, f"{category}.abort.{reason}")
    ]

    assert missing == []


def test_every_abort_reason_in_the_code_has_a_text() -> None:
    literal = re.compile(r'(?:reason=|ABORT_\w+\s*=\s*)"(\w+)"')
    reasons = {
        reason
        for path in PACKAGE.rglob("*.py")
        for reason in literal.findall(path.read_text("utf-8"))
    }
    texts = set(lookup("en", "config.abort")) | set(lookup("en", "config_subentries.relay.abort"))

    assert reasons, "no abort reason found: the pattern is out of date"
    assert sorted(reasons - texts) == []


def test_every_device_model_and_statistic_has_a_name_in_both_languages() -> None:
    """What ``texts.py`` writes into the device and statistics registries (no English fallback)."""
    from custom_components.delestage.enedis.statistics import EnergyKind
    from custom_components.delestage.report.recorder import SERIES
    from custom_components.delestage.tariff.model import COST_SERIES, HP_HC_SERIES, TEMPO_SERIES
    from custom_components.delestage.texts import DeviceModel

    series = {kind.value for kind in EnergyKind} | {*HP_HC_SERIES, *TEMPO_SERIES, COST_SERIES}
    for language in LANGUAGES:
        models = lookup(language, "selector.device_model.options")
        assert sorted(models) == sorted(model.value for model in DeviceModel), language
        names = lookup(language, "selector.statistic_name.options")
        assert sorted(names) == sorted(series | set(SERIES)), language
        assert all(PLACEHOLDER.findall(name) == ["meter"] for name in names.values()), language

"""Constants of the Enedis (Linky) entry type."""

from __future__ import annotations

from datetime import timedelta
import re
from typing import Final

# Entry data keys (DESIGN §1), beside ``entry_type`` and the optional ``api_base_url``.
CONF_AUTH_IMPLEMENTATION: Final = "auth_implementation"
CONF_TOKEN: Final = "token"
CONF_PRM: Final = "prm"
CONF_AUTORISATION_ID: Final = "autorisation_id"
CONF_CONSENT_END: Final = "consent_end"
CONF_CONSENT_DURATION: Final = "consent_duration"
CONF_ENVIRONMENT: Final = "environment"
CONF_PRODUCTION: Final = "production"  # the meter also produces (from the consent)
# Where the data comes from (DESIGN §1): dataconnect (absent = dataconnect), conso_api,
# myelectricaldata; the gateways keep the user's token / secret in api_token.
CONF_SOURCE: Final = "source"
CONF_API_TOKEN: Final = "api_token"

PRODUCTION: Final = "production"
SANDBOX: Final = "sandbox"
ENVIRONMENTS: Final = (PRODUCTION, SANDBOX)

# A repair issue invites the user to renew the consent this long before it ends.
CONSENT_WARNING: Final = timedelta(days=30)

MANUFACTURER: Final = "Enedis"


def masked_prm(prm: str) -> str:
    """Return a meter id fit for a log line or a title: its last four digits, ``…1234``."""
    return f"…{prm[-4:]}"


# A PRM is 14 digits; anything that long (a statistic id holds one) is masked in log lines.
_PRM_IN_TEXT = re.compile(r"(?<!\d)\d{10}(\d{4})(?!\d)")


def mask_prms(text: str) -> str:
    """Return ``text`` with every PRM masked (``delestage:linky_…1234_consumption``)."""
    return _PRM_IN_TEXT.sub(r"…\1", text)


def entry_title(prm: str) -> str:
    """Title of a meter's entry: enough to tell meters apart, never the whole PRM."""
    return f"Linky {masked_prm(prm)}"

"""Constants shared by every part of the Délestage integration."""

from enum import StrEnum
import logging
from typing import Final

DOMAIN: Final = "delestage"
LOGGER = logging.getLogger(__package__)

CONF_ENTRY_TYPE: Final = "entry_type"


class EntryType(StrEnum):
    """The kinds of config entry; each has its own set-up, flow steps and entities."""

    RTE = "rte"
    ENEDIS = "enedis"
    METEOFRANCE = "meteofrance"
    PHIDGET = "phidget"


# Optional in every cloud entry's data: another base URL for the provider's API (the local
# simulator, tools/sandbox). Absent means the official servers. Set in the config flow's
# collapsed "Advanced" section, validated there.
CONF_API_BASE_URL: Final = "api_base_url"

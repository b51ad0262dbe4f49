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

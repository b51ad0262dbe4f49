"""Fixtures of the shedding report tests: the Enedis fake gateway, credentials, fake RTE."""

from __future__ import annotations

from tests.enedis.conftest import api_url, credentials, gateway, gateway_server
from tests.enedis.fake_enedis import quiet_sql
from tests.rte.conftest import fake_rte, rte_entry

__all__ = [
    "api_url",
    "credentials",
    "fake_rte",
    "gateway",
    "gateway_server",
    "quiet_sql",
    "rte_entry",
]

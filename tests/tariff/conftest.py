"""Fixtures of the tariff tests: the Enedis fake gateway and the user's Data Connect app."""

from __future__ import annotations

from tests.enedis.conftest import api_url, credentials, gateway, gateway_server
from tests.enedis.fake_enedis import quiet_sql

__all__ = ["api_url", "credentials", "gateway", "gateway_server", "quiet_sql"]

"""The fake gateway answers with the exact shape of Enedis' real answers (captures/)."""

from __future__ import annotations

from datetime import date
import json

import aiohttp
from aiohttp.test_utils import TestServer
import pytest

from tests.shape import assert_same_shape, shape_differences

from .fake_enedis import (
    CAPTURE_FILES,
    CLIENT_ID,
    CLIENT_SECRET,
    CONTRACT_CONSUMER,
    CONTRACT_SELF_CONSUMPTION,
    PRM,
    FakeEnedis,
    base_url,
    capture,
    capture_bytes,
    fake,
    fake_server,
)

__all__ = ["fake", "fake_server"]


async def _get(server: TestServer, path: str, **params: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session:
        token = await session.post(
            f"{base_url(server)}/oauth2/v3/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": aiohttp.encode_basic_auth(CLIENT_ID, CLIENT_SECRET)},
        )
        headers = {"Authorization": f"Bearer {(await token.json())['access_token']}"}
        async with session.get(f"{base_url(server)}{path}", params=params, headers=headers) as r:
            return r.status, await r.read()


@pytest.mark.parametrize("resource", sorted(CAPTURE_FILES))
async def test_measures_have_the_shape_of_the_captures(
    fake: FakeEnedis, fake_server: TestServer, resource: str
) -> None:
    """Generated measures: same keys, same types (strings) at every level as the capture."""
    fake.producer = True
    status, body = await _get(
        fake_server,
        f"/mesure_synchrone_auto/v2/{resource}",
        pointId=PRM,
        dateDebut="2026-11-15",
        dateFin="2026-11-22",
    )
    assert status == 200
    assert_same_shape(json.loads(body), capture(CAPTURE_FILES[resource]))


@pytest.mark.parametrize(
    ("producer", "name"), [(False, CONTRACT_CONSUMER), (True, CONTRACT_SELF_CONSUMPTION)]
)
async def test_contract_is_the_capture(
    fake: FakeEnedis, fake_server: TestServer, producer: bool, name: str
) -> None:
    """The contract answer is the capture itself: a top-level array (2 for self-consumption)."""
    fake.producer = producer
    assert await _get(fake_server, f"/situation_contrat_auto/v1/{PRM}") == (
        200,
        capture_bytes(name),
    )


async def test_capture_mode_serves_the_files_byte_for_byte(
    fake: FakeEnedis, fake_server: TestServer
) -> None:
    """``captures=True``: the files themselves for a window over their days, else 404."""
    fake.captures = True
    fake.per_second = None
    fake.today = date(2026, 10, 1)
    for resource, name in CAPTURE_FILES.items():
        got = await _get(
            fake_server,
            f"/mesure_synchrone_auto/v2/{resource}",
            pointId="99999999999991",
            dateDebut="2026-09-24",
            dateFin="2026-10-01",
        )
        assert got == (200, capture_bytes(name))
    status, _ = await _get(
        fake_server,
        "/mesure_synchrone_auto/v2/consommation_quotidienne",
        pointId="99999999999991",
        dateDebut="2026-09-01",
        dateFin="2026-09-29",
    )
    assert status == 404


def test_shape_comparison_catches_each_kind_of_drift() -> None:
    """The helper reports missing/extra keys, type changes and unknown list elements."""
    real = capture(CONTRACT_CONSUMER)
    assert list(shape_differences(real, real)) == []
    assert list(shape_differences({"contrats": real}, real)) == ["$: object instead of array"]
    changed = [dict(real[0], subscribed_power={"unit": "kVA", "value": 12})]
    assert list(shape_differences(changed, real)) == [
        "$[0].subscribed_power.value: integer instead of string"
    ]
    extra = [dict(real[0], libelle="Contrat GRD-F")]
    assert list(shape_differences(extra, real)) == ["$[0].libelle: not in the capture"]
    missing = [{k: v for k, v in real[0].items() if k != "segment"}]
    assert list(shape_differences(missing, real)) == ["$[0].segment: missing"]
    daily = capture(CAPTURE_FILES["consommation_quotidienne"])
    assert list(shape_differences(dict(daily, contexte=[1]), daily)) == [
        "$.contexte: 1 element(s) where the capture's list is empty"
    ]
    for value in (None, True, 1.5, 2):
        assert list(shape_differences(value, "x"))
    with pytest.raises(TypeError):
        list(shape_differences(object(), "x"))
    with pytest.raises(AssertionError, match="Shape differs"):
        assert_same_shape([], {})

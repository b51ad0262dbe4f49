"""Upsert hourly statistics rows and shift the later sums, in ONE recorder transaction.

Home Assistant's importer (``async_add_external_statistics``) runs two ORM round trips per row
(exists? then insert/update), and its sum adjustment (``async_adjust_statistics``) is a second,
independent task: when the import fails on a database error (SQLite "database is locked", a
lost MySQL connection...), the adjustment still runs and every later sum is shifted by the
window's change, for ever. This task does both in one transaction, with set-based statements
(delete the rows of those hours, insert them again, add the shift to every later row):

- they are written together or not at all;
- an ``OperationalError`` is retried the way the recorder's own jobs do
  (``retryable_database_job``: wait ``db_retry_wait``, try again), here up to
  ``ATTEMPTS`` times inside the task, so no other write of the series slips in between;
- the caller awaits the outcome (:func:`async_upsert`): after a failure nothing was written
  and it can try again later (the back-fill keeps the step, the daily refresh retries).

The caller validates rows exactly as ``async_add_external_statistics`` does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
import logging
import time
from typing import TYPE_CHECKING, override

from homeassistant.components.recorder.db_schema import Statistics
from homeassistant.components.recorder.models import StatisticData, StatisticMetaData
from homeassistant.components.recorder.tasks import RecorderTask
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance, session_scope
from sqlalchemy import delete, insert, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from .const import mask_prms

if TYPE_CHECKING:
    from homeassistant.components.recorder.core import Recorder

_LOGGER = logging.getLogger(__name__)

CHUNK = 500
# Tries of one write on a database error (the recorder's own jobs retry until they succeed;
# a bounded count keeps the recorder thread from being held for ever by a broken database).
ATTEMPTS = 5


@dataclass(slots=True)
class BulkUpsertStatisticsTask(RecorderTask):
    """Upsert hourly sum rows of one statistic and shift its later sums, atomically."""

    metadata: StatisticMetaData
    rows: Sequence[StatisticData]
    shift_from: datetime | None = None
    shift: float = 0.0
    done: asyncio.Future[bool] | None = None

    @override
    def __repr__(self) -> str:
        """Name the series with a masked meter (the recorder logs its tasks at debug level)."""
        return (
            f"BulkUpsertStatisticsTask({mask_prms(self.metadata['statistic_id'])}, "
            f"{len(self.rows)} rows)"
        )

    @override
    def run(self, instance: Recorder) -> None:
        """Run in the recorder thread; report the outcome to ``done``."""
        written = False
        try:
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    with session_scope(session=instance.get_session()) as session:
                        self._write(session, instance)
                except OperationalError as err:
                    if attempt == ATTEMPTS:
                        _LOGGER.error(
                            "Statistics of %s not written after %s tries: %s",
                            mask_prms(self.metadata["statistic_id"]),
                            ATTEMPTS,
                            mask_prms(str(err.orig)),
                        )
                        return
                    _LOGGER.info(
                        "%s; statistics of %s not written, retrying",
                        mask_prms(str(err.orig)),
                        mask_prms(self.metadata["statistic_id"]),
                    )
                    time.sleep(instance.db_retry_wait)
                else:
                    written = True
                    return
        finally:
            # Any other error propagates: the recorder logs it and recovers its session.
            self._report(instance, written)

    def _report(self, instance: Recorder, written: bool) -> None:
        done = self.done
        if done is None:
            return

        def _set() -> None:
            if not done.done():
                done.set_result(written)

        instance.hass.loop.call_soon_threadsafe(_set)

    def _write(self, session: Session, instance: Recorder) -> None:
        manager = instance.statistics_meta_manager
        old = manager.get_many(session, statistic_ids={self.metadata["statistic_id"]})
        _, metadata_id = manager.update_or_add(session, self.metadata, old)
        now = time.time()
        for index in range(0, len(self.rows), CHUNK):
            chunk = self.rows[index : index + CHUNK]
            starts = [row["start"].timestamp() for row in chunk]
            session.execute(
                delete(Statistics).where(
                    Statistics.metadata_id == metadata_id, Statistics.start_ts.in_(starts)
                )
            )
            session.execute(
                insert(Statistics),
                [
                    {
                        "metadata_id": metadata_id,
                        "created_ts": now,
                        "start_ts": start,
                        "state": row.get("state"),
                        "sum": row.get("sum"),
                    }
                    for start, row in zip(starts, chunk, strict=True)
                ],
            )
        if self.shift_from is not None and self.shift:
            session.execute(
                update(Statistics)
                .where(
                    Statistics.metadata_id == metadata_id,
                    Statistics.start_ts >= self.shift_from.timestamp(),
                )
                .values(sum=Statistics.sum + self.shift)
                .execution_options(synchronize_session=False)
            )


async def async_upsert(
    hass: HomeAssistant,
    metadata: StatisticMetaData,
    rows: Sequence[StatisticData],
    *,
    shift_from: datetime | None = None,
    shift: float = 0.0,
) -> bool:
    """Write ``rows`` and shift the sums from ``shift_from`` on; True once written.

    False when the database refused it ``ATTEMPTS`` times: then nothing was written.
    """
    done: asyncio.Future[bool] = hass.loop.create_future()
    get_instance(hass).queue_task(BulkUpsertStatisticsTask(metadata, rows, shift_from, shift, done))
    return await done


def async_bulk_upsert(
    hass: HomeAssistant, metadata: StatisticMetaData, rows: Sequence[StatisticData]
) -> None:
    """Queue the upsert without waiting (like ``async_add_external_statistics``)."""
    get_instance(hass).queue_task(BulkUpsertStatisticsTask(metadata, rows))

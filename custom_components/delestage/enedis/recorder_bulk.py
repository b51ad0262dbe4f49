"""Bulk upsert of many hourly statistics rows in one recorder task.

Home Assistant's importer (``async_add_external_statistics``) runs two ORM round trips per row
(exists? then insert/update): fine for a day or a week, but a 2-year import is 17,520 rows.
This task does the same upsert in the recorder thread with set-based statements (delete the
rows of those hours, insert them again), in chunks. It is only used for large imports; the
caller validates rows exactly as ``async_add_external_statistics`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import time
from typing import TYPE_CHECKING, override

from homeassistant.components.recorder.db_schema import Statistics
from homeassistant.components.recorder.models import StatisticData, StatisticMetaData
from homeassistant.components.recorder.tasks import RecorderTask
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance, session_scope
from sqlalchemy import delete, insert

if TYPE_CHECKING:
    from homeassistant.components.recorder.core import Recorder

CHUNK = 500


@dataclass(slots=True)
class BulkUpsertStatisticsTask(RecorderTask):
    """Upsert hourly sum rows of one statistic (long-term table) in set-based chunks."""

    metadata: StatisticMetaData
    rows: Sequence[StatisticData]

    @override
    def run(self, instance: Recorder) -> None:
        """Run in the recorder thread."""
        manager = instance.statistics_meta_manager
        with session_scope(session=instance.get_session()) as session:
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


def async_bulk_upsert(
    hass: HomeAssistant, metadata: StatisticMetaData, rows: Sequence[StatisticData]
) -> None:
    """Queue the upsert (like ``async_add_external_statistics``, call from the event loop)."""
    get_instance(hass).queue_task(BulkUpsertStatisticsTask(metadata, rows))

"""The workbook guard (``api/workbook_guard.py``): each bound on its own."""

from __future__ import annotations

from datetime import date

import pytest

from custom_components.delestage.api.workbook_guard import (
    WorkbookBound,
    WorkbookLimits,
    WorkbookRejectedError,
    check_workbook,
)
from tests.enedis.history_files import readings, rewrite_part, table_xlsx

ROWS = readings(date(2024, 3, 18), 1)[:2]
ROOMY = {"max_parts": 20, "max_unpacked": 10**6, "max_row": 9, "max_row_cells": 9, "max_cells": 99}


@pytest.mark.parametrize(
    ("limits", "bound"),
    [
        ({"max_parts": 3}, WorkbookBound.UNPACKED),
        ({"max_unpacked": 10_000}, WorkbookBound.UNPACKED),
        ({"max_row": 2}, WorkbookBound.ROWS),
        ({"max_row_cells": 2}, WorkbookBound.CELLS),
        ({"max_cells": 5}, WorkbookBound.CELLS),
    ],
)
def test_workbook_guard_bounds(limits: dict[str, int], bound: WorkbookBound) -> None:
    """Each bound on its own (the parser's are far larger): a 3-row, 3-column sheet."""
    content = table_xlsx(ROWS)
    check_workbook(content, WorkbookLimits(**ROOMY))
    with pytest.raises(WorkbookRejectedError) as err:
        check_workbook(content, WorkbookLimits(**(ROOMY | limits)))
    assert err.value.bound is bound


def test_rows_without_numbers_are_counted() -> None:
    """Rows without ``r`` follow the previous one; binary parts are not read as XML."""
    content = rewrite_part(table_xlsx(ROWS), "sheet1.xml", lambda xml: xml.replace(b' r="3"', b""))
    content = rewrite_part(content, "app.xml", lambda _xml: b"\x89PNG binary")
    check_workbook(content, WorkbookLimits(**ROOMY))
    with pytest.raises(WorkbookRejectedError):
        check_workbook(content, WorkbookLimits(**(ROOMY | {"max_row": 2})))


def test_not_a_workbook() -> None:
    with pytest.raises(WorkbookRejectedError) as err:
        check_workbook(b"PK\x03\x04 not a zip", WorkbookLimits(**ROOMY))
    assert err.value.bound is WorkbookBound.STRUCTURE

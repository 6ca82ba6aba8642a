"""The newest row of the series table, as the per-process caches of what series
are check it: the ``/metrics`` exposition (:mod:`mikromon.web.exposition.latest`)
and the reports' interface table (:mod:`.report_series`).

A ``Series`` row never changes once written (device, key and labels are its
identity) and ids are not reused in a live database (SQLite ``AUTOINCREMENT``,
PostgreSQL sequences), so rows a cache read stay true and new ones come after
the newest it saw. After a rolled-back transaction or a database restore an id
can name another series: the newest row seen (id and creation time) is then
gone or is another row, and everything cached must be read again.
"""

from __future__ import annotations

from typing import Any

from mikromon.web.monitor.models import Series


class NewestSeries:
    """The newest series (``(id, created_at)``) a cache has seen; one per cache,
    used under the cache's lock."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: tuple[Any, Any] | None = None

    @property
    def seen_id(self) -> int | None:
        """Id of the newest series seen by the last :meth:`advance` (``None``: the
        table was empty, or never read)."""
        return None if self._seen is None else int(self._seen[0])

    def advance(self, cursor: Any) -> bool:
        """Read the table's newest series through ``cursor`` (a DB-API cursor of
        the cache's connection) and remember it; return ``False`` when what was
        cached may be untrue: the newest seen before is gone or is another row
        (rolled back, restored). ``True``: unchanged, or only rows after it added
        (their ids are larger than :attr:`seen_id` was)."""
        table = Series._meta.db_table
        cursor.execute(f"SELECT id, created_at FROM {table} ORDER BY id DESC LIMIT 1")
        newest = cursor.fetchone()
        seen, still = self._seen, True
        if seen is not None and (newest is None or tuple(newest) != seen):
            cursor.execute(f"SELECT created_at FROM {table} WHERE id = %s", [seen[0]])
            row = cursor.fetchone()
            still = row is not None and row[0] == seen[1]
        self._seen = tuple(newest) if newest is not None else None
        return still

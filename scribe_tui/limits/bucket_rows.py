"""The rows of one rate-limit bucket, read and rewritten outside pyrate-limiter's own
acquisition: the window arithmetic that predicts a wait (``Window``) and the writes that keep a
request's rows honest after it was admitted (``Rows``): re-stamping them while the request is
in flight and when its reply arrives, growing or shrinking them to the reply's reported usage,
and adding rows for usage the provider reports that we did not send.

pyrate-limiter writes one row per unit of weight, named after whatever name the caller gives
``try_acquire``; the limits layer gives every request its own ticket name, so a request's rows
can be found again. Two backends, as for the buckets: the shared SQLite file (a separate
connection here, and the bucket's file lock for inserts, so a concurrent acquisition never
counts before our insert lands) and the in-memory fallback (the bucket's own list, under its
lock).
"""

from __future__ import annotations

import math
import sqlite3
import time
from bisect import bisect_left
from collections.abc import Iterable
from operator import attrgetter
from pathlib import Path
from typing import Protocol

from filelock import FileLock
from pyrate_limiter import InMemoryBucket, RateItem

_timestamp = attrgetter("timestamp")


def wall_ms(epoch_s: float) -> int:
    """An epoch time as the SQLite buckets stamp rows, rounded up (never earlier than it)."""
    return math.ceil(epoch_s * 1000)


class Window(Protocol):
    def now_ms(self) -> int: ...

    def count_since(self, start_ms: int) -> int: ...

    def nth_newest(self, offset: int) -> int | None: ...

    def close(self) -> None: ...


class Rows(Protocol):
    """Writes on a bucket's rows; each call is atomic and safe against other processes."""

    def restamp(self, tickets: Iterable[str], at: float) -> None: ...

    def resize(self, ticket: str, delta: int, at: float) -> None: ...

    def add(self, name: str, count: int, at: float) -> None: ...

    def top_up(self, name: str, span_ms: int, wanted: int, at: float, stamp: float) -> int: ...

    def close(self) -> None: ...


# ---- SQLite ------------------------------------------------------------------------------------------


class SqliteWindow:
    """Reads a bucket table on its own connection (WAL readers never block the writers)."""

    def __init__(self, db_path: Path, table: str):
        self._conn = sqlite3.connect(db_path, timeout=5.0, isolation_level=None, check_same_thread=False)
        self._count = f"SELECT COUNT(*) FROM '{table}' WHERE item_timestamp >= ?"
        self._nth = f"SELECT item_timestamp FROM '{table}' ORDER BY item_timestamp DESC LIMIT 1 OFFSET ?"

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000  # SQLiteBucket stamps rows with the wall clock

    def count_since(self, start_ms: int) -> int:
        return int(self._conn.execute(self._count, (start_ms,)).fetchone()[0])

    def nth_newest(self, offset: int) -> int | None:
        row = self._conn.execute(self._nth, (offset,)).fetchone()
        return None if row is None else int(row[0])

    def close(self) -> None:
        self._conn.close()


class SqliteRows:
    """Rewrites a bucket table's rows; used from the bookkeeping thread only."""

    def __init__(self, db_path: Path, table: str, *, timeout_s: float = 5.0):
        self._conn = sqlite3.connect(db_path, timeout=timeout_s, isolation_level=None, check_same_thread=False)
        self._lock = FileLock(str(db_path) + ".lock", timeout=timeout_s)
        self._table = table

    def restamp(self, tickets: Iterable[str], at: float) -> None:
        names = list(tickets)
        for start in range(0, len(names), 500):
            part = names[start:start + 500]
            marks = ", ".join("?" * len(part))
            self._conn.execute(f"UPDATE '{self._table}' SET item_timestamp = ? WHERE name IN ({marks})",
                               (wall_ms(at), *part))

    def resize(self, ticket: str, delta: int, at: float) -> None:
        if delta > 0:
            self.add(ticket, delta, at)
        elif delta < 0:
            self._conn.execute(f"DELETE FROM '{self._table}' WHERE rowid IN "
                               f"(SELECT rowid FROM '{self._table}' WHERE name = ? LIMIT ?)", (ticket, -delta))

    def add(self, name: str, count: int, at: float) -> None:
        if count <= 0:
            return
        with self._lock:
            self._conn.executemany(f"INSERT INTO '{self._table}' (name, item_timestamp) VALUES (?, ?)",
                                   [(name, wall_ms(at))] * count)

    def top_up(self, name: str, span_ms: int, wanted: int, at: float, stamp: float) -> int:
        """Make the window of ``span_ms`` ending at ``at`` hold at least ``wanted`` rows, adding
        rows stamped ``stamp``; returns how many were added."""
        with self._lock:
            row = self._conn.execute(f"SELECT COUNT(*) FROM '{self._table}' WHERE item_timestamp >= ?",
                                     (wall_ms(at) - span_ms,)).fetchone()
            missing = wanted - int(row[0])
            if missing > 0:
                self._conn.executemany(f"INSERT INTO '{self._table}' (name, item_timestamp) VALUES (?, ?)",
                                       [(name, wall_ms(stamp))] * missing)
        return max(missing, 0)

    def close(self) -> None:
        self._conn.close()


# ---- in memory -----------------------------------------------------------------------------------------


class MemoryWindow:
    def __init__(self, bucket: InMemoryBucket):
        self._bucket = bucket

    def now_ms(self) -> int:
        return int(self._bucket.now())  # the bucket's monotonic clock

    def count_since(self, start_ms: int) -> int:
        with self._bucket._lock:  # the Leaker thread trims the list under this lock
            items = self._bucket.items
            return len(items) - bisect_left(items, start_ms, key=_timestamp)

    def nth_newest(self, offset: int) -> int | None:
        with self._bucket._lock:
            items = self._bucket.items
            return items[-1 - offset].timestamp if 0 <= offset < len(items) else None

    def close(self) -> None:
        pass


class MemoryRows:
    """The same writes on an in-memory bucket's list (kept sorted by timestamp)."""

    def __init__(self, bucket: InMemoryBucket):
        self._bucket = bucket

    def _stamp(self, at: float) -> int:
        return math.ceil(self._bucket.now() - (time.time() - at) * 1000)

    def restamp(self, tickets: Iterable[str], at: float) -> None:
        names, stamp = set(tickets), self._stamp(at)
        with self._bucket._lock:
            for item in self._bucket.items:
                if item.name in names:
                    item.timestamp = stamp
            self._bucket.items.sort(key=_timestamp)

    def resize(self, ticket: str, delta: int, at: float) -> None:
        if delta > 0:
            self.add(ticket, delta, at)
            return
        with self._bucket._lock:
            items = self._bucket.items
            for index in range(len(items) - 1, -1, -1):
                if delta == 0:
                    break
                if items[index].name == ticket:
                    del items[index]
                    delta += 1

    def add(self, name: str, count: int, at: float) -> None:
        if count <= 0:
            return
        item = RateItem(name, self._stamp(at), weight=count)
        with self._bucket._lock:
            self._bucket.items.extend([item] * count)
            self._bucket.items.sort(key=_timestamp)

    def top_up(self, name: str, span_ms: int, wanted: int, at: float, stamp: float) -> int:
        with self._bucket._lock:
            items = self._bucket.items
            missing = wanted - (len(items) - bisect_left(items, self._stamp(at) - span_ms, key=_timestamp))
            if missing > 0:
                self.add(name, missing, stamp)
        return max(missing, 0)

    def close(self) -> None:
        pass

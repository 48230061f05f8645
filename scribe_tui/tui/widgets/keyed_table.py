"""A DataTable kept in step with a list of keyed rows: cells updated only when their value
changed, stale rows removed, new rows added, the order followed, the cursor kept on the
same row by key — all inside one ``app.batch_update()``.

Cells are plain text (never parsed as markup: paths and error messages may hold brackets);
a cell that tells a state is toned — ok, running, warning, error, dead — through the
table's component classes, which take their colours from the theme."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, CellType, RowDoesNotExist


@dataclass(frozen=True)
class Column:
    label: str
    key: str
    width: int | None = None


Row = tuple[str, Sequence[CellType]]
"""A row key and its cells, one per column, in column order."""

TONES = ("ok", "running", "warning", "error", "dead", "app-error")
"""How a state reads: done well, under way, needs an eye, failed, failed for good, our own error."""


class KeyedTable(DataTable):
    """Subclasses set ``COLUMNS``; ``sync(rows)`` makes the table show exactly ``rows``."""

    COMPONENT_CLASSES = {f"keyed-table--{tone}" for tone in TONES}
    DEFAULT_CSS = """
    KeyedTable > .keyed-table--ok { color: $success; }
    KeyedTable > .keyed-table--running { color: $accent; text-style: bold; }
    KeyedTable > .keyed-table--warning { color: $warning; }
    KeyedTable > .keyed-table--error { color: $error; text-style: bold; }
    KeyedTable > .keyed-table--dead { color: $error; text-style: bold reverse; }
    KeyedTable > .keyed-table--app-error { color: $secondary; text-style: bold; }
    """
    COLUMNS: tuple[Column, ...] = ()

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        for column in self.COLUMNS:
            self.add_column(column.label, key=column.key, width=column.width)

    def toned(self, text: str, tone: str | None) -> Text:
        """``text`` in the theme's colour for ``tone`` (one of TONES; None: plain)."""
        if not tone:
            return Text(text)
        return Text(text, style=self.get_component_rich_style(f"keyed-table--{tone}", partial=True))

    @property
    def selected_key(self) -> str | None:
        """The key of the row under the cursor, or None when the table is empty."""
        if self.row_count == 0:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except CellDoesNotExist:
            return None
        return row_key.value

    def sync(self, rows: Sequence[Row]) -> bool:
        """Show exactly ``rows`` in this order; True if anything changed."""
        wanted = {key: cells for key, cells in rows}
        order = [key for key, _ in rows]
        selected = self.selected_key
        selected_index = self.cursor_row
        with self.app.batch_update():
            changed = self._remove_stale(wanted)
            current = [row.key.value for row in self.ordered_rows]
            if [key for key in current if key in wanted] != [key for key in order if key in current]:
                self.clear()
                changed = True
            changed |= self._update_and_add(rows)
            self._restore_cursor(selected, selected_index)
        return changed

    def _remove_stale(self, wanted: dict[str, Sequence[CellType]]) -> bool:
        stale = [row_key for row_key in self.rows if row_key.value not in wanted]
        for row_key in stale:
            self.remove_row(row_key)
        return bool(stale)

    def _update_and_add(self, rows: Sequence[Row]) -> bool:
        changed = False
        column_keys = list(self.columns)
        for key, raw_cells in rows:
            cells = [Text(cell) if isinstance(cell, str) else cell for cell in raw_cells]
            if key not in self.rows:
                self.add_row(*cells, key=key)
                changed = True
                continue
            for column_key, old, new in zip(column_keys, self.get_row(key), cells):
                if not _same(old, new):
                    self.update_cell(key, column_key, new)
                    changed = True
        return changed

    def _restore_cursor(self, selected: str | None, selected_index: int) -> None:
        if self.row_count == 0:
            return
        if selected is not None:
            try:
                index = self.get_row_index(selected)
            except RowDoesNotExist:
                index = min(selected_index, self.row_count - 1)
        else:
            index = 0
        if index != self.cursor_row:
            self.move_cursor(row=index, animate=False)


def _same(old: CellType, new: CellType) -> bool:
    if isinstance(old, Text) and isinstance(new, Text):
        return old.plain == new.plain and old.style == new.style and old.spans == new.spans
    return type(old) is type(new) and old == new

"""A DataTable kept in step with a list of keyed rows: cells updated only when their value
changed, stale rows removed, new rows added, the order followed, the cursor kept on the
same row by key — all inside one ``app.batch_update()``. Its columns fit its width
(``widgets.columns``), the growing ones as wide as their longest text where there is room:
rebuilt with the rows it shows when it is resized or its text asks for other widths.

Cells are plain text (never parsed as markup: paths and error messages may hold brackets);
a cell that tells a state is toned — ok, running, warning, error, dead — through the
table's component classes, which take their colours from the theme."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, CellType, RowDoesNotExist

from scribe_tui.tui.widgets.columns import Column, Placed, fit_columns

__all__ = ["Column", "KeyedTable", "Row"]

SCROLLBAR = 1  # the vertical scrollbar's width, kept free whether it shows or not
STALE_ROWS_REMOVED_ONE_BY_ONE = 8
"""More stale rows than this and the table is cleared and filled again: DataTable.remove_row
re-indexes every row, so removing 250 of 500 rows one by one took 3.8 s."""

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
        self._rows: Sequence[Row] = ()
        self._given: dict[str, Sequence[CellType]] = {}  # row key -> the cells it was last given (by identity)
        self._width = sum(c.width + 2 * self.cell_padding for c in self.COLUMNS)  # until it is laid out
        self._wants: dict[str, int] = {}
        self._placed: tuple[Placed, ...] = ()
        self._place(fit_columns(self.COLUMNS, self._width, self.cell_padding))

    def toned(self, text: str, tone: str | None) -> Text:
        """``text`` in the theme's colour for ``tone`` (one of TONES; None: plain)."""
        style = self.get_component_rich_style(f"keyed-table--{tone}", partial=True) if tone else ""
        return Text(text, style=style, no_wrap=True, overflow="ellipsis")

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def _theme_changed(self) -> None:
        self._given.clear()  # toned cells are rebuilt with the new theme's colours
        self.styles_changed()

    def styles_changed(self) -> None:
        """Toned cells now look different: a subclass that keeps cells forgets them."""

    # ---- columns --------------------------------------------------------------------------
    def on_resize(self, event: events.Resize) -> None:
        self._width = event.size.width - SCROLLBAR
        self._fit(self.selected_key, self.cursor_row)

    def _fit(self, selected: str | None, selected_index: int) -> bool:
        """Lay the columns out again if the width or the text asks for it; True if it did."""
        placed = fit_columns(self.COLUMNS, self._width, self.cell_padding, self._wants)
        if placed == self._placed:
            return False
        self.clear(columns=True)
        self._given.clear()
        self._place(placed)
        self._sync(self._rows, selected, selected_index)
        return True

    def _wanted_widths(self, rows: Sequence[Row]) -> dict[str, int]:
        """The longest text of each growing column."""
        return {column.key: max((_cell_width(cells[index]) for _, cells in rows), default=0)
                for index, column in enumerate(self.COLUMNS) if column.grow}

    def _place(self, placed: tuple[Placed, ...]) -> None:
        self._placed = placed
        for place in placed:
            self.add_column(place.column.label, key=place.column.key, width=place.width)

    @property
    def shown_columns(self) -> tuple[str, ...]:
        """The keys of the columns the table's width has room for."""
        return tuple(place.column.key for place in self._placed)

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
        """Show exactly ``rows`` (cells for every one of COLUMNS) in this order; True if anything changed."""
        self._rows = rows
        self._wants = self._wanted_widths(rows)
        selected, selected_index = self.selected_key, self.cursor_row
        return self._fit(selected, selected_index) or self._sync(rows, selected, selected_index)

    def _sync(self, rows: Sequence[Row], selected: str | None, selected_index: int) -> bool:
        order = [key for key, _ in rows]
        with self.app.batch_update():
            current = [row.key.value for row in self.ordered_rows]
            stale = _stale_rows(current, order)
            if stale is None:  # start over: one clear, where removing many rows one by one re-indexes all each time
                self.clear()
                self._given.clear()
                changed = bool(current)
            else:
                for key in stale:
                    self.remove_row(key)
                changed = bool(stale)
            changed |= self._update_and_add(rows)
            self._restore_cursor(selected, selected_index)
        return changed

    def _update_and_add(self, rows: Sequence[Row]) -> bool:
        changed = False
        column_keys = list(self.columns)
        given = self._given
        self._given = {}
        for key, all_cells in rows:
            self._given[key] = all_cells
            if given.get(key) is all_cells:
                continue  # the very cells the row already shows
            cells = [_as_text(all_cells[place.index]) for place in self._placed]
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


def _stale_rows(current: list[str], order: list[str]) -> list[str] | None:
    """The rows to remove so that ``current`` becomes ``order`` by appending the new rows; None
    when that cannot be done, or only by removing more than STALE_ROWS_REMOVED_ONE_BY_ONE."""
    wanted = set(order)
    stale = [key for key in current if key not in wanted]
    kept = [key for key in current if key in wanted]
    if len(stale) > STALE_ROWS_REMOVED_ONE_BY_ONE or order[: len(kept)] != kept:
        return None
    return stale


def _cell_width(cell: CellType) -> int:
    if isinstance(cell, Text):
        return cell.cell_len
    return cell_len(cell) if isinstance(cell, str) else 0


def _as_text(cell: CellType) -> CellType:
    """A string cell as plain text on one line, cut with an ellipsis (never read as markup)."""
    return Text(cell, no_wrap=True, overflow="ellipsis") if isinstance(cell, str) else cell


def _same(old: CellType, new: CellType) -> bool:
    if isinstance(old, Text) and isinstance(new, Text):
        return old.plain == new.plain and old.style == new.style and old.spans == new.spans
    return type(old) is type(new) and old == new

"""Table columns that fit the width there is: each column has a width it needs; some grow
into the room that is left (a path, an error message) as far as their text asks, some are
left out first when the table is narrow (a provider name, an elapsed time). Pure
functions, no Textual."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    label: str
    key: str
    width: int  # cells it needs (padding not included)
    grow: int = 0  # its share of the spare width (0: stays at ``width``)
    drop: int = 0  # left out when the table is too narrow, lowest first (0: always shown)


@dataclass(frozen=True)
class Placed:
    """A column as shown: its position in the table's COLUMNS and its width."""

    index: int
    column: Column
    width: int


def fit_columns(columns: Sequence[Column], width: int, padding: int = 1,
                wants: Mapping[str, int] | None = None) -> tuple[Placed, ...]:
    """The columns shown in ``width`` cells (each also takes ``padding`` on both sides): drop
    columns in ``drop`` order until the rest fit, then share what is left among the growers:
    first what their text asks for (``wants``: column key → its longest text), by weight,
    then the rest by weight."""
    shown = list(range(len(columns)))
    needed = sum(column.width + 2 * padding for column in columns)
    for index in sorted((i for i, c in enumerate(columns) if c.drop), key=lambda i: columns[i].drop):
        if needed <= width:
            break
        shown.remove(index)
        needed -= columns[index].width + 2 * padding
    spare = max(0, width - needed)
    weights = [columns[i].grow for i in shown]
    asks = [max(0, (wants or {}).get(columns[i].key, 0) - columns[i].width) if columns[i].grow else 0 for i in shown]
    extra = _fill(weights, asks, spare)
    rest = _shares(weights, spare - sum(extra))
    return tuple(Placed(i, columns[i], columns[i].width + more + also)
                 for i, more, also in zip(shown, extra, rest))


def _fill(weights: list[int], asks: list[int], spare: int) -> list[int]:
    """Give each column up to what it asks, ``spare`` shared by weight (water filling)."""
    given = [0] * len(weights)
    while spare > 0:
        hungry = [i for i, ask in enumerate(asks) if weights[i] and given[i] < ask]
        if not hungry:
            break
        total = sum(weights[i] for i in hungry)
        handed = 0
        for i in hungry:
            more = min(asks[i] - given[i], max(1, spare * weights[i] // total))
            more = min(more, spare - handed)
            given[i] += more
            handed += more
        spare -= handed
    return given


def _shares(weights: list[int], spare: int) -> list[int]:
    """``spare`` split by ``weights`` in whole cells; the rounding remainder goes to the last grower."""
    total = sum(weights)
    if not total:
        return [0] * len(weights)
    shares = [spare * weight // total for weight in weights]
    last = max(i for i, weight in enumerate(weights) if weight)
    shares[last] += spare - sum(shares)
    return shares

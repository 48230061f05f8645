"""Finding the documents to translate under the PATH arguments, and where each one's output goes.

Directories are walked recursively in sorted order; hidden files and directories (name
starting with ".") are ignored, symlinked directories are not followed, and files with an
unsupported extension are skipped and reported in ``Discovery.skipped``. A file named
explicitly must have a supported extension, and every PATH must exist (``UsageError``
otherwise). A file reached twice is listed once, under the first PATH that reached it.

Each file remembers the root it came from: the directory argument, or for a file argument
its parent, so ``output_path`` gives ``<output-dir>/<lang>/<path relative to PATH>``
(``<output-dir>/<lang>/<file name>`` for a file argument), as DESIGN.md specifies.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scribe_tui.documents.reader import SUPPORTED_EXTENSIONS, format_of
from scribe_tui.errors import UsageError


@dataclass(frozen=True)
class SourceFile:
    path: Path  # the file, as reached from its root
    root: Path  # the directory argument it was found under (a file argument's parent)

    @property
    def relative(self) -> Path:
        """The path below the root, which the output keeps."""
        return self.path.relative_to(self.root)


@dataclass(frozen=True)
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # unsupported files inside directories


def discover(paths: Sequence[Path]) -> Discovery:
    """The supported files under ``paths``; UsageError for a missing or unsupported argument."""
    discovery = Discovery()
    seen: set[Path] = set()
    for given in map(Path, paths):
        for source in _sources(given, discovery.skipped):
            key = source.path.resolve()
            if key not in seen:
                seen.add(key)
                discovery.files.append(source)
    return discovery


def output_path(output_dir: Path, language: str, source: SourceFile) -> Path:
    """Where the ``language`` translation of ``source`` is written."""
    return Path(output_dir) / language / source.relative


def _sources(given: Path, skipped: list[Path]) -> Iterator[SourceFile]:
    if given.is_dir():
        for path in _walk(given, skipped):
            yield SourceFile(path=path, root=given)
    elif given.is_file():
        if format_of(given.name) is None:
            supported = ", ".join(SUPPORTED_EXTENSIONS)
            raise UsageError(f"{given}: unsupported file type (supported: {supported})")
        yield SourceFile(path=given, root=given.parent)
    elif given.exists():
        raise UsageError(f"{given}: not a regular file or directory")
    else:
        raise UsageError(f"{given}: no such file or directory")


def _walk(directory: Path, skipped: list[Path]) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as exc:
        raise UsageError(f"{directory}: cannot list ({exc.strerror or exc})") from None
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = directory / entry.name
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(path, skipped)
        elif entry.is_file() and format_of(entry.name) is not None:
            yield path
        elif not entry.is_dir():
            skipped.append(path)

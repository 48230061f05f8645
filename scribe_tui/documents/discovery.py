"""Finding the documents to translate under the PATH arguments, and where each one's output goes.

Directories are walked recursively in sorted order; hidden files and directories (name
starting with ".") are ignored, and files with an unsupported extension are skipped and
reported in ``Discovery.skipped``. Symbolic links found inside a directory argument (to
files or to directories) are never followed: they are skipped and reported in
``Discovery.symlinks``, so a link pointing out of the tree cannot send a file elsewhere on
the disk to a provider. A symlink named explicitly as a PATH is followed. A file named
explicitly must have a supported extension, and every PATH must exist (``UsageError``
otherwise). A file reached twice is listed once, under the first PATH that reached it.

Layout (DESIGN.md, Files and layout): each file remembers the root its output path is
relative to. One PATH: a directory argument is its own root, a file argument's root is its
parent (``<output-dir>/<lang>/<file name>``). Several PATHs: the common parent directory of
all of them, so ``a/x.txt b/x.txt`` go to ``<lang>/a/x.txt`` and ``<lang>/b/x.txt`` and never
to the same place. Roots are absolute (the current directory at discovery).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scribe_tui.documents.reader import SUPPORTED_EXTENSIONS, format_of
from scribe_tui.errors import UsageError


def absolute(path: Path | str) -> Path:
    """``path`` made absolute against the current directory, symlinks left as named."""
    return Path(os.path.abspath(os.path.expanduser(path)))


@dataclass(frozen=True)
class SourceFile:
    path: Path  # the file, as reached from its PATH argument
    root: Path  # what the output keeps the path relative to (see the module docstring)

    @property
    def absolute(self) -> Path:
        return absolute(self.path)

    @property
    def relative(self) -> Path:
        """The path below the root, which the output keeps."""
        return self.absolute.relative_to(absolute(self.root))


@dataclass(frozen=True)
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # unsupported files inside directories
    symlinks: list[Path] = field(default_factory=list)  # links inside directories, not followed


def layout_root(paths: Sequence[Path]) -> Path | None:
    """The common parent directory of several PATH arguments; None for a single one."""
    if len(paths) < 2:
        return None
    parents = [str(absolute(path).parent) for path in paths]
    try:
        return Path(os.path.commonpath(parents))
    except ValueError:  # different drives (Windows): no common parent
        raise UsageError("the PATHs have no common parent directory; enqueue them separately") from None


def extensions_in_words() -> str:
    """The supported extensions as a sentence reads them: ".txt, .md or .json"."""
    *rest, last = SUPPORTED_EXTENSIONS
    return f"{', '.join(rest)} or {last}" if rest else last


def discover(paths: Sequence[Path], *, require_files: bool = False) -> Discovery:
    """The supported files under ``paths``; UsageError for a missing or unsupported argument,
    and (``require_files``) when the PATHs hold no file to translate at all."""
    paths = [Path(path) for path in paths]
    shared_root = layout_root(paths)
    discovery = Discovery()
    seen: set[Path] = set()
    for given in paths:
        for source in _sources(given, shared_root, discovery):
            key = source.path.resolve()
            if key not in seen:
                seen.add(key)
                discovery.files.append(source)
    if require_files and paths and not discovery.files:
        where = ", ".join(str(absolute(path)) for path in paths)
        raise UsageError(f"no {extensions_in_words()} files under {where}")
    return discovery


def output_path(output_dir: Path, language: str, source: SourceFile) -> Path:
    """Where the ``language`` translation of ``source`` is written."""
    return Path(output_dir) / language / source.relative


def _sources(given: Path, shared_root: Path | None, discovery: Discovery) -> Iterator[SourceFile]:
    if given.is_dir():
        root = shared_root or absolute(given)
        for path in _walk(given, discovery):
            yield SourceFile(path=path, root=root)
    elif given.is_file():
        if format_of(given.name) is None:
            supported = ", ".join(SUPPORTED_EXTENSIONS)
            raise UsageError(f"{given}: unsupported file type (supported: {supported})")
        yield SourceFile(path=given, root=shared_root or absolute(given).parent)
    elif given.exists():
        raise UsageError(f"{given}: not a regular file or directory")
    else:
        raise UsageError(f"{given}: no such file or directory")


def _walk(directory: Path, discovery: Discovery) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as exc:
        raise UsageError(f"{directory}: cannot list ({exc.strerror or exc})") from None
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = directory / entry.name
        if entry.is_symlink():
            discovery.symlinks.append(path)
        elif entry.is_dir(follow_symlinks=False):
            yield from _walk(path, discovery)
        elif entry.is_file(follow_symlinks=False) and format_of(entry.name) is not None:
            yield path
        else:
            discovery.skipped.append(path)

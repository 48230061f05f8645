"""Discovery and output paths, atomic writes, and the bundled example corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scribe_tui.documents import (
    SUPPORTED_EXTENSIONS,
    SourceFile,
    discover,
    load_document,
    make_chunks,
    output_path,
    render_document,
    write_atomic,
)
from scribe_tui.errors import DocumentError, UsageError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def make_tree(root: Path, files: list[str]) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("Some text.\n")


# ---- discovery ---------------------------------------------------------------------------------


def test_directories_are_walked_sorted_skipping_hidden_and_counting_unsupported(tmp_path: Path) -> None:
    make_tree(tmp_path / "in", [
        "b.srt", "a.txt", "Z.MD", "notes.pdf", "image.png", ".hidden.txt",
        ".git/config.json", "sub/c.vtt", "sub/deeper/d.json", "sub/skip.odt", "sub/.cache/e.txt",
    ])
    found = discover([tmp_path / "in"])
    assert [source.relative.as_posix() for source in found.files] == [
        "Z.MD", "a.txt", "b.srt", "sub/c.vtt", "sub/deeper/d.json",
    ]
    assert all(source.root == tmp_path / "in" for source in found.files)
    assert sorted(p.relative_to(tmp_path / "in").as_posix() for p in found.skipped) == [
        "image.png", "notes.pdf", "sub/skip.odt",
    ]


def test_an_explicit_unsupported_file_is_a_usage_error(tmp_path: Path) -> None:
    make_tree(tmp_path, ["report.pdf"])
    with pytest.raises(UsageError) as caught:
        discover([tmp_path / "report.pdf"])
    message = str(caught.value)
    assert "report.pdf" in message
    assert all(extension in message for extension in SUPPORTED_EXTENSIONS)


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nothing-here.txt: no such file or directory"):
        discover([tmp_path / "nothing-here.txt"])


def test_explicit_files_keep_their_name_and_duplicates_are_listed_once(tmp_path: Path) -> None:
    make_tree(tmp_path, ["docs/one.txt", "docs/two.md", "docs/.secret.txt"])
    found = discover([tmp_path / "docs" / "one.txt", tmp_path / "docs" / ".secret.txt"])
    assert [(s.path.name, s.relative.as_posix()) for s in found.files] == [
        ("one.txt", "one.txt"), (".secret.txt", ".secret.txt"),
    ]
    # A directory and a file inside it: laid out relative to their common parent, listed once.
    found = discover([tmp_path / "docs" / "one.txt", tmp_path / "docs", tmp_path / "docs" / ".secret.txt"])
    assert [(s.path.name, s.relative.as_posix()) for s in found.files] == [
        ("one.txt", "docs/one.txt"), ("two.md", "docs/two.md"), (".secret.txt", "docs/.secret.txt"),
    ]
    assert found.skipped == []


def test_several_paths_are_laid_out_relative_to_their_common_parent(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(tmp_path, ["a/x.txt", "b/x.txt", "c/d/y.md"])
    monkeypatch.chdir(tmp_path)
    found = discover([Path("a/x.txt"), Path("b/x.txt"), Path("c")])
    assert [output_path(Path("/out"), "he", s).as_posix() for s in found.files] == [
        "/out/he/a/x.txt", "/out/he/b/x.txt", "/out/he/c/d/y.md",
    ]
    assert all(s.root == tmp_path for s in found.files)


def test_symlinks_inside_directories_are_skipped_with_a_note(tmp_path: Path) -> None:
    make_tree(tmp_path, ["real/a.txt", "outside/secret.txt", "outside/dir/b.txt"])
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "real" / "notes.txt").symlink_to(tmp_path / "outside" / "secret.txt")
    (tmp_path / "real" / "more").symlink_to(tmp_path / "outside" / "dir", target_is_directory=True)
    found = discover([tmp_path / "real"])
    assert [s.relative.as_posix() for s in found.files] == ["a.txt"]
    assert sorted(p.name for p in found.symlinks) == ["loop", "more", "notes.txt"]
    assert found.skipped == []


def test_a_symlink_named_as_a_path_is_followed(tmp_path: Path) -> None:
    make_tree(tmp_path, ["outside/secret.txt"])
    (tmp_path / "link.txt").symlink_to(tmp_path / "outside" / "secret.txt")
    [source] = discover([tmp_path / "link.txt"]).files
    assert source.relative == Path("link.txt")


def test_output_path_layout(tmp_path: Path) -> None:
    make_tree(tmp_path, ["corpus/sub/talk.srt", "single.md"])
    from_directory = discover([tmp_path / "corpus"]).files[0]
    assert output_path(Path("out"), "he", from_directory) == Path("out/he/sub/talk.srt")
    single = discover([tmp_path / "single.md"]).files[0]
    assert output_path(Path("out"), "de", single) == Path("out/de/single.md")
    assert SourceFile(path=Path("a/b/c.txt"), root=Path("a")).relative == Path("b/c.txt")


def test_relative_paths_work_from_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(tmp_path, ["x/y.txt"])
    monkeypatch.chdir(tmp_path)
    [source] = discover([Path(".")]).files
    assert output_path(Path("translated"), "en", source) == Path("translated/en/x/y.txt")


# ---- atomic writes -----------------------------------------------------------------------------


def test_write_atomic_creates_parents_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "he" / "deep" / "file.txt"
    write_atomic(target, b"shalom\n")
    assert target.read_bytes() == b"shalom\n"
    assert os.listdir(target.parent) == ["file.txt"]


def test_write_atomic_replaces_by_rename_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_bytes(b"old")
    target.chmod(0o640)
    before = target.stat().st_ino
    reader = target.open("rb")  # a reader of the old file keeps seeing the old content
    write_atomic(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert target.stat().st_ino != before
    assert target.stat().st_mode & 0o777 == 0o640
    assert reader.read() == b"old"
    reader.close()
    assert os.listdir(tmp_path) == ["file.txt"]


def test_write_atomic_failure_keeps_the_old_file_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "file.txt"
    target.write_bytes(b"old")

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(DocumentError, match="file.txt: cannot write"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["file.txt"]


def test_write_atomic_into_a_file_path_is_a_document_error(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_bytes(b"")
    with pytest.raises(DocumentError, match="cannot write"):
        write_atomic(tmp_path / "blocker" / "x.txt", b"data")


def test_load_document_of_an_unreadable_path_is_a_document_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="gone.txt: cannot read"):
        load_document(tmp_path / "gone.txt")


# ---- the example corpus ------------------------------------------------------------------------

EXPECTED_EXAMPLES = [
    "interview.txt", "lecture.md", "meeting.srt", "more/field-notes.txt", "podcast.json", "webinar.vtt",
]


def test_examples_are_all_there_and_small() -> None:
    found = discover([EXAMPLES])
    assert [s.relative.as_posix() for s in found.files] == EXPECTED_EXAMPLES
    assert found.skipped == []
    assert sum(s.path.stat().st_size for s in found.files) < 25_000


@pytest.mark.parametrize("name", EXPECTED_EXAMPLES)
def test_every_example_round_trips_and_writes(name: str, tmp_path: Path) -> None:
    source = EXAMPLES / name
    document = load_document(source)
    chunks = make_chunks(document.segments, 1500, 200)
    assert all(chunk.token_estimate <= 1500 for chunk in chunks)
    data = render_document(document, chunks, {c.index: c.text for c in chunks})
    assert data == source.read_bytes()
    target = tmp_path / "he" / name
    write_atomic(target, render_document(document, chunks, {c.index: c.text.upper() for c in chunks}))
    assert load_document(target).format == document.format


def test_examples_have_the_promised_shapes() -> None:
    assert len(make_chunks(load_document(EXAMPLES / "interview.txt").segments, 1500, 200)) >= 2
    lecture = load_document(EXAMPLES / "lecture.md")
    assert not any("def put" in segment for segment in lecture.segments)
    assert any(segment.startswith("Lecture 7") for segment in lecture.segments)
    assert 10 <= len(load_document(EXAMPLES / "meeting.srt").segments) <= 14
    webinar = load_document(EXAMPLES / "webinar.vtt")
    assert 8 <= len(webinar.segments) <= 12
    assert webinar.template[0].startswith("WEBVTT") and "NOTE" in webinar.template[0]
    assert 8 <= len(load_document(EXAMPLES / "podcast.json").segments) <= 12

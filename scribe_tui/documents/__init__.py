"""Documents: reading, chunking, reassembling and writing the files scribe-tui translates.

Formats (formats.py is the registry): .txt, .md, .srt, .vtt, .ass/.ssa, .json transcripts,
.html, .po, .docx and .epub (see each module). A parsed
``Document`` is a list of translatable segments in a template; ``make_chunks`` packs
segments into self-contained chunks (each carrying the previous chunk's tail as context);
``render_document`` puts translated chunks back together and ``write_atomic`` stores the
result. An identity translation reproduces every source file byte for byte, except in the
formats a library writes back (.po, .docx, .epub), where it reproduces their content.

This package never imports the engine or Textual.
"""

from __future__ import annotations

from scribe_tui.documents.assemble import render_document
from scribe_tui.documents.atomic import write_atomic
from scribe_tui.documents.chunking import SEGMENT_SEPARATOR, Chunk, make_chunks, split_translation, tail_context
from scribe_tui.documents.discovery import Discovery, SourceFile, discover, output_path
from scribe_tui.documents.model import FORMATS, Document
from scribe_tui.documents.reader import SUPPORTED_EXTENSIONS, format_of, load_document, parse_document
from scribe_tui.documents.tokens import estimate_tokens

__all__ = [
    "FORMATS",
    "SEGMENT_SEPARATOR",
    "SUPPORTED_EXTENSIONS",
    "Chunk",
    "Discovery",
    "Document",
    "SourceFile",
    "discover",
    "estimate_tokens",
    "format_of",
    "load_document",
    "make_chunks",
    "output_path",
    "parse_document",
    "render_document",
    "split_translation",
    "tail_context",
    "write_atomic",
]

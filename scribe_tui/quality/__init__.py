"""Translation quality: checks run after each chunk and over each finished document, and
what the ``[qa] on_problem`` policy makes of their findings."""

from scribe_tui.quality.checks import CHECKS, Finding, QAContext, check_chunk, check_document, count_label, from_json, summary, to_json

__all__ = ["CHECKS", "Finding", "QAContext", "check_chunk", "check_document", "count_label", "from_json", "summary", "to_json"]

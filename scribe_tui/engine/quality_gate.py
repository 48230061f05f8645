"""What a worker does with a translated chunk's quality findings, by ``[qa] on_problem``:

* ``warn`` (default): the chunk is done; its findings are stored with it and shown with the job;
* ``retry``: the chunk is translated again (its cached reply forgotten) while attempts are
  left; the last attempt is kept, with its findings;
* ``fail``: the chunk, and so its job, fails, naming the findings.

The request a chunk is sent with carries the glossary terms that occur in it (and, when the
source language is ``auto``, the glossary's source language, which DeepL and Microsoft need
to apply them).
"""

from __future__ import annotations

from dataclasses import replace

from scribe_tui.config import Settings
from scribe_tui.engine.worker_protocol import TaskOrder, TaskOutcome
from scribe_tui.glossary import Glossary
from scribe_tui.providers.base import TranslationRequest
from scribe_tui.quality import QAContext, check_chunk, summary, to_json

QUALITY_ERROR = "QualityProblem"


def chunk_request(order: TaskOrder, settings: Settings, glossary: Glossary) -> TranslationRequest:
    """The request for one chunk, with the glossary terms that occur in it."""
    terms = glossary.terms_in(order.text, order.language) if glossary else {}
    source = settings.source_language
    if terms and source in ("", "auto"):
        source = settings.glossary.source_language
    return TranslationRequest(text=order.text, target_language=order.language, context=order.context,
                              source_language=source, glossary=terms, chunk_id=str(order.task_id))


def qa_context(settings: Settings, target_language: str, provider_kind: str,
               terms: dict[str, str] | None = None, source_language: str | None = None) -> QAContext:
    """The checks' settings for one chunk or document (the demo's Latin pseudo-translation
    skips the script check)."""
    return QAContext(target_language=target_language,
                     source_language=source_language or settings.source_language, terms=dict(terms or {}),
                     check_script=provider_kind != "demo", min_length_ratio=settings.qa.min_length_ratio,
                     max_length_ratio=settings.qa.max_length_ratio)


def judge(outcome: TaskOutcome, order: TaskOrder, request: TranslationRequest, settings: Settings,
          provider_kind: str) -> tuple[TaskOutcome, bool]:
    """The outcome after the quality checks, and whether the chunk's cached reply must be
    forgotten (it is to be translated again, or it failed)."""
    if outcome.kind != "done" or outcome.translation is None:
        return outcome, False
    ctx = qa_context(settings, order.language, provider_kind, dict(request.glossary), request.source_language)
    findings = check_chunk(order.text, outcome.translation, ctx, chunk=order.chunk_index)
    if not findings:
        return outcome, False
    policy = settings.qa.on_problem
    message = f"quality: {summary(findings)}: {findings[0].message}"[:500]
    if policy == "retry" and order.attempt + 1 < settings.max_attempts:
        return replace(outcome, kind="retry", translation=None, error_class=QUALITY_ERROR, message=message,
                       delay_s=settings.retry.base_delay_s), True
    if policy == "fail":
        return replace(outcome, kind="fail", translation=None, error_class=QUALITY_ERROR, message=message), True
    return replace(outcome, qa=to_json(findings)), False

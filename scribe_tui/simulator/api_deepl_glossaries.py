"""DeepL's glossary endpoints on the simulator, v2 (one language pair per glossary, what
``deepl.Translator`` uses) and v3 (multilingual, what ``deepl.DeepLClient`` uses), over one
``GlossaryStore``; a glossary made through either works in ``/v2/translate``.

v2: ``GET /v2/glossary-language-pairs``; ``POST|GET /v2/glossaries``; ``GET|DELETE
/v2/glossaries/{id}``; ``GET /v2/glossaries/{id}/entries`` (TSV, only with ``Accept:
text/tab-separated-values``, else 415).
v3: ``POST|GET /v3/glossaries``; ``GET|PATCH|DELETE /v3/glossaries/{id}``;
``GET /v3/glossaries/{id}/entries?source_lang&target_lang`` (JSON, entries as TSV text);
``PUT|DELETE /v3/glossaries/{id}/dictionaries``.

Shapes and status codes follow the official client (deepl-python ``GlossaryInfo``,
``MultilingualGlossaryInfo``) and DeepL's own mock server (DeepLcom/deepl-mock
``glossariesV2.js``/``glossariesV3.js``): create 201, delete 204, unknown id 404, languages
lower-case, ``creation_time`` ISO 8601 with milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from scribe_tui.languages import LANGUAGES
from scribe_tui.simulator.api_deepl import deepl_message
from scribe_tui.simulator.api_deepl_account import key_refused, request_fields
from scribe_tui.simulator.config import SimulatorConfig
from scribe_tui.simulator.glossaries import Glossary, GlossaryError, GlossaryStore, entries_tsv, make_dictionary
from scribe_tui.simulator.http11 import Request, Response, json_response

TSV = "text/tab-separated-values"


class GlossaryState(Protocol):
    config: SimulatorConfig
    glossaries: GlossaryStore


GlossaryHandler = Callable[[GlossaryState, Request, str], Response]


def v2_info(glossary: Glossary) -> dict[str, Any]:
    first = glossary.dictionaries[0]
    return {"glossary_id": glossary.glossary_id, "name": glossary.name, "ready": True,
            "source_lang": first.source_lang, "target_lang": first.target_lang,
            "creation_time": glossary.creation_time, "entry_count": len(first.entries)}


def v3_info(glossary: Glossary) -> dict[str, Any]:
    return {"glossary_id": glossary.glossary_id, "name": glossary.name,
            "dictionaries": [item.info() for item in glossary.dictionaries], "creation_time": glossary.creation_time}


def _text(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    return value if isinstance(value, str) else ""


# ---- v2 ------------------------------------------------------------------------------------------
def language_pairs(state: GlossaryState, request: Request, _: str) -> Response:
    bases = sorted({code.split("-")[0] for code in LANGUAGES})
    pairs = [{"source_lang": source, "target_lang": target} for source in bases for target in bases if source != target]
    return json_response(200, {"supported_languages": pairs})


def v2_create(state: GlossaryState, request: Request, _: str) -> Response:
    fields = request_fields(request)
    dictionary = make_dictionary(_text(fields, "source_lang"), _text(fields, "target_lang"),
                                 _text(fields, "entries"), _text(fields, "entries_format"))
    return json_response(201, v2_info(state.glossaries.create(_text(fields, "name"), [dictionary])))


def v2_list(state: GlossaryState, request: Request, _: str) -> Response:
    return json_response(200, {"glossaries": [v2_info(item) for item in state.glossaries.all() if item.dictionaries]})


def v2_get(state: GlossaryState, request: Request, glossary_id: str) -> Response:
    return json_response(200, v2_info(state.glossaries.get(glossary_id)))


def v2_entries(state: GlossaryState, request: Request, glossary_id: str) -> Response:
    accept = request.headers.get("accept", TSV)
    if TSV not in accept and "*/*" not in accept:
        return deepl_message(415, "No supported media type specified in Accept header")
    glossary = state.glossaries.get(glossary_id)
    return Response(200, entries_tsv(glossary.dictionaries[0].entries).encode(), content_type=f"{TSV}; charset=UTF-8")


def delete(state: GlossaryState, request: Request, glossary_id: str) -> Response:
    state.glossaries.delete(glossary_id)
    return Response(204)


# ---- v3 ------------------------------------------------------------------------------------------
def _dictionaries(fields: dict[str, Any]) -> list[Any]:
    items = fields.get("dictionaries") or []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise GlossaryError("Missing or invalid argument: dictionaries")
    return [make_dictionary(str(item.get("source_lang", "")), str(item.get("target_lang", "")),
                            str(item.get("entries", "")), str(item.get("entries_format", ""))) for item in items]


def v3_create(state: GlossaryState, request: Request, _: str) -> Response:
    fields = request_fields(request)
    return json_response(201, v3_info(state.glossaries.create(_text(fields, "name"), _dictionaries(fields))))


def v3_list(state: GlossaryState, request: Request, _: str) -> Response:
    return json_response(200, {"glossaries": [v3_info(item) for item in state.glossaries.all()]})


def v3_get(state: GlossaryState, request: Request, glossary_id: str) -> Response:
    return json_response(200, v3_info(state.glossaries.get(glossary_id)))


def v3_patch(state: GlossaryState, request: Request, glossary_id: str) -> Response:
    glossary = state.glossaries.get(glossary_id)
    fields = request_fields(request)
    for dictionary in _dictionaries(fields):  # merged: new terms added, existing ones replaced
        current = glossary.dictionary(dictionary.source_lang, dictionary.target_lang)
        dictionary.entries = {**(current.entries if current else {}), **dictionary.entries}
        glossary.put(dictionary)
    if _text(fields, "name"):
        glossary.name = _text(fields, "name")
    return json_response(200, v3_info(glossary))


def v3_entries(state: GlossaryState, request: Request, glossary_id: str) -> Response:
    query = dict(request.query)
    glossary = state.glossaries.get(glossary_id)
    dictionary = glossary.dictionary(query.get("source_lang", ""), query.get("target_lang", ""))
    if dictionary is None:
        raise GlossaryError("Dictionary not found", 404)
    return json_response(200, {"dictionaries": [{"source_lang": dictionary.source_lang,
                                                 "target_lang": dictionary.target_lang, "entries_format": "tsv",
                                                 "entries": entries_tsv(dictionary.entries)}]})


def v3_put_dictionary(state: GlossaryState, request: Request, glossary_id: str) -> Response:
    glossary = state.glossaries.get(glossary_id)
    fields = request_fields(request)
    dictionary = make_dictionary(_text(fields, "source_lang"), _text(fields, "target_lang"),
                                 _text(fields, "entries"), _text(fields, "entries_format"))
    glossary.put(dictionary)
    return json_response(200, dictionary.info())


def v3_delete_dictionary(state: GlossaryState, request: Request, glossary_id: str) -> Response:
    glossary = state.glossaries.get(glossary_id)
    query = dict(request.query)
    dictionary = glossary.dictionary(query.get("source_lang", ""), query.get("target_lang", ""))
    if dictionary is None:
        raise GlossaryError("Dictionary not found", 404)
    glossary.dictionaries.remove(dictionary)
    return Response(204)


# ---- routing -----------------------------------------------------------------------------------
_COLLECTION: dict[tuple[str, str], GlossaryHandler] = {
    ("GET", "/v2/glossary-language-pairs"): language_pairs,
    ("POST", "/v2/glossaries"): v2_create, ("GET", "/v2/glossaries"): v2_list,
    ("POST", "/v3/glossaries"): v3_create, ("GET", "/v3/glossaries"): v3_list,
}
_ITEM: dict[tuple[str, str, str], GlossaryHandler] = {
    ("GET", "v2", ""): v2_get, ("DELETE", "v2", ""): delete, ("GET", "v2", "entries"): v2_entries,
    ("GET", "v3", ""): v3_get, ("PATCH", "v3", ""): v3_patch, ("DELETE", "v3", ""): delete,
    ("GET", "v3", "entries"): v3_entries, ("PUT", "v3", "dictionaries"): v3_put_dictionary,
    ("DELETE", "v3", "dictionaries"): v3_delete_dictionary,
}


def is_glossary_path(path: str) -> bool:
    return path.startswith(("/v2/glossar", "/v3/glossaries"))


def route(method: str, path: str) -> tuple[GlossaryHandler, str] | None:
    """The handler for ``method path`` and the glossary id in the path ('' for none)."""
    handler = _COLLECTION.get((method, path))
    if handler is not None:
        return handler, ""
    parts = path.strip("/").split("/")
    if len(parts) in (3, 4) and parts[0] in ("v2", "v3") and parts[1] == "glossaries":
        item = _ITEM.get((method, parts[0], parts[3] if len(parts) == 4 else ""))
        if item is not None:
            return item, parts[2]
    return None


def handle(state: GlossaryState, request: Request) -> Response:
    """Answer a glossary request: 403 without the key, 404/405 for unknown paths and methods."""
    refused = key_refused(state.config, request)
    if refused is not None:
        return refused
    found = route(request.method, request.path)
    if found is None:
        return deepl_message(404, "Not found")
    handler, glossary_id = found
    try:
        return handler(state, request, glossary_id)
    except GlossaryError as exc:
        return deepl_message(exc.status, str(exc))

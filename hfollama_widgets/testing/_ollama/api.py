"""FakeOllama's simple endpoints: version, tags, ps, show, delete, embed, embeddings."""

from __future__ import annotations

import json
import time
from typing import Any

from hfollama_widgets.testing._ollama.http import Handler
from hfollama_widgets.testing._ollama.names import parse_name
from hfollama_widgets.testing._ollama.options import option_error, parse_keep_alive
from hfollama_widgets.testing._ollama.store import ModelRecord, num_ctx_of
from hfollama_widgets.testing._ollama.text import EMBEDDING_DIM, embedding, l2_normalize, tokenize

__all__ = ["delete", "embed", "embeddings", "find_model", "ps", "show", "tags", "version"]

MAX_EMBED_TOKENS = 8192


def version(h: Handler, body: Any) -> None:
    h.send_json(200, {"version": h.fake.version})


def tags(h: Handler, body: Any) -> None:
    caps = h.fake.behaviour.tags_capabilities
    h.send_json(200, {"models": [r.tags_entry(caps) for r in h.fake.store.models()]})


def ps(h: Handler, body: Any) -> None:
    h.send_json(200, {"models": h.fake.store.running()})


def find_model(
    h: Handler, body: Any, not_found: str = "model '{}' not found"
) -> tuple[str, ModelRecord] | None:
    """The requested model, or ``None`` after answering 400/404 as Ollama does."""
    model = body.get("model") or body.get("name") if isinstance(body, dict) else None
    if not model or not isinstance(model, str):
        h.send_error_json(400, "model is required")
        return None
    name = parse_name(model)
    record = h.fake.store.find(name) if name.valid else None
    if record is None:
        h.send_error_json(404, not_found.format(model))
        return None
    return model, record


def show(h: Handler, body: Any) -> None:
    found = find_model(h, body)
    if found:
        h.send_json(200, found[1].show(verbose=bool(body.get("verbose"))))


def delete(h: Handler, body: Any) -> None:
    model = (body.get("model") or body.get("name")) if isinstance(body, dict) else None
    name = parse_name(model or "")
    if not model or not name.valid:
        h.send_error_json(400, f"name {json.dumps(model or '')} is invalid")
        return
    if h.fake.store.delete(name) is None:
        h.send_error_json(404, f"model '{model}' not found")
        return
    h.send_bytes(200, b"", "text/plain; charset=utf-8")


def _keep_alive(h: Handler, body: dict[str, Any]) -> tuple[bool, float | None]:
    try:
        return True, parse_keep_alive(body.get("keep_alive"))
    except ValueError as exc:
        h.send_error_json(400, str(exc))
        return False, None


def _dim(record: ModelRecord) -> int:
    return EMBEDDING_DIM if "embedding" in record.capabilities else 2048


def embed(h: Handler, body: Any) -> None:
    found = find_model(h, body)
    if not found:
        return
    model, record = found
    ok, keep_alive = _keep_alive(h, body)
    if not ok:
        return
    wrong = option_error(body.get("options"))  # scheduleRunner -> Options.FromMap: HTTP 500
    if wrong is not None:
        h.send_error_json(500, wrong)
        return
    raw = body.get("input")
    if raw is None or raw == "":
        inputs: list[str] = []
    elif isinstance(raw, str):
        inputs = [raw]
    elif isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        inputs = list(raw)
    else:
        h.send_error_json(400, "invalid input type")
        return
    started = time.monotonic_ns()
    first_load = h.fake.store.touch(record, keep_alive, num_ctx_of(body.get("options")))
    count = sum(len(tokenize(t)) for t in inputs)
    if body.get("truncate") is False and any(len(tokenize(t)) > MAX_EMBED_TOKENS for t in inputs):
        h.send_error_json(400, "the input length exceeds the context length")
        return
    vectors = [embedding(model, t, _dim(record)) for t in inputs]
    dims = body.get("dimensions")
    if isinstance(dims, int) and dims > 0:
        vectors = [l2_normalize(v[:dims]) for v in vectors]
    elapsed = time.monotonic_ns() - started
    h.send_json(
        200,
        {
            "model": model,
            "embeddings": vectors,
            "total_duration": elapsed + (150_000_000 if first_load else 0),
            "load_duration": 150_000_000 if first_load else 1_000_000,
            "prompt_eval_count": count,
        },
    )


def embeddings(h: Handler, body: Any) -> None:
    """Legacy ``/api/embeddings``: one ``prompt``, one vector, not normalised."""
    found = find_model(h, body, 'model "{}" not found, try pulling it first')
    if not found:
        return
    model, record = found
    ok, keep_alive = _keep_alive(h, body)
    if not ok:
        return
    h.fake.store.touch(record, keep_alive, num_ctx_of(body.get("options")))
    prompt = body.get("prompt") or ""
    vector = embedding(model, prompt, _dim(record), normalize=False) if prompt else []
    h.send_json(200, {"embedding": vector})

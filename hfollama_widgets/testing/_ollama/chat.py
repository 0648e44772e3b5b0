"""FakeOllama's ``POST /api/chat`` and ``POST /api/generate``.

Checks in Ollama's order (see :func:`_check`), then streams deterministic text at
``token_rate`` tokens/s: ``thinking`` chunks first for thinking models (unless ``think`` is
false), then the reply, then a final ``done`` line with ``done_reason`` and the metrics in ns.
``stream: false`` joins everything into one object.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from typing import Any

from hfollama_widgets.testing._ollama.api import find_model
from hfollama_widgets.testing._ollama.http import ClientGone, Handler, StreamStopped, StreamWriter
from hfollama_widgets.testing._ollama.options import option_error, parse_keep_alive
from hfollama_widgets.testing._ollama.store import ModelRecord, now_iso, num_ctx_of
from hfollama_widgets.testing._ollama.text import (
    json_reply,
    reply_text,
    thinking_text,
    tokenize,
)
from hfollama_widgets.testing._ollama.tools import tool_calls

__all__ = ["chat", "generate"]

THINK_LEVELS = ("low", "medium", "high", "max")
LOAD_NS = 1_250_000_000


def _check(h: Handler, body: Any, kind: str) -> tuple[str, ModelRecord, Any, float | None] | None:
    """Validate in Ollama's order; answer the error and return ``None`` when refused.

    ChatHandler / GenerateHandler (ollama/ollama server/routes.go, at fb30760): binding the JSON
    first (``keep_alive``, ``think`` values: 400), the model (404), then thinking (400
    ``"<model>" does not support thinking``, before the runner, routes.go:2611-2637), then
    ``scheduleRunner``: ``CheckCapabilities`` (completion -> ``"<model>" does not support
    chat``; tools / insert -> ``<full name> does not support tools``, ``fmt.Errorf("%s %w",
    model.Name, err)``, routes.go:211-213, ollama/ollama#14795), then ``options`` (HTTP 500).
    """
    top = body.get("top_logprobs") if isinstance(body, dict) else None
    if isinstance(top, int) and not 0 <= top <= 20:
        # right after binding the request (server/routes.go:256 generate, 2452 chat)
        h.send_error_json(400, "top_logprobs must be between 0 and 20")
        return None
    try:
        keep_alive = parse_keep_alive(body.get("keep_alive") if isinstance(body, dict) else None)
    except ValueError as exc:
        h.send_error_json(400, str(exc))
        return None
    think = body.get("think") if isinstance(body, dict) else None
    if isinstance(think, str) and think not in THINK_LEVELS:
        # api/types.go ThinkValue.UnmarshalJSON (1126-1221)
        h.send_error_json(
            400,
            f'invalid think value: "{think}" (must be "high", "medium", "low", "max", true, '
            "or false)",
        )
        return None
    found = find_model(h, body)
    if not found:
        return None
    model, record = found
    caps = record.capabilities
    if think not in (None, False) and "thinking" not in caps:
        h.send_error_json(400, f'"{model}" does not support thinking')
        return None
    if "completion" not in caps:
        h.send_error_json(400, f'"{model}" does not support {kind}')
        return None
    full = record.name.full()
    if body.get("tools") and "tools" not in caps:
        h.send_error_json(400, f"{full} does not support tools")
        return None
    if body.get("suffix") and "insert" not in caps:
        h.send_error_json(400, f"{full} does not support insert")
        return None
    wrong = option_error(body.get("options"))
    if wrong is not None:
        h.send_error_json(500, wrong)
        return None
    return model, record, think, keep_alive


def _conversation(body: dict[str, Any], generate: bool) -> list[dict[str, Any]]:
    if not generate:
        return [dict(m) for m in body.get("messages") or [] if isinstance(m, dict)]
    messages = []
    if body.get("system"):
        messages.append({"role": "system", "content": str(body["system"])})
    messages.append({"role": "user", "content": str(body.get("prompt") or "")})
    return messages


def _chunk(model: str, generate: bool, content: str, thinking: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"model": model, "created_at": now_iso()}
    if generate:
        out["response"] = content
        if thinking is not None:
            out["thinking"] = thinking
    else:
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if thinking is not None:
            message["thinking"] = thinking
        out["message"] = message
    out["done"] = False
    return out


def _logprobs(token: str, top: int) -> list[dict[str, Any]]:
    """One ``Logprob`` for ``token`` (api/types.go Logprob: token, logprob, bytes,
    top_logprobs of ``TokenLogprob``); values are deterministic stand-ins, not model output."""
    seed = int.from_bytes(hashlib.sha256(token.encode()).digest()[:4], "little")
    logprob = -round((seed % 1000) / 1000 * 2.0, 4)  # in (-2, 0]
    entry: dict[str, Any] = {"token": token, "logprob": logprob, "bytes": list(token.encode())}
    if top > 0:
        alternatives = [{"token": token, "logprob": logprob, "bytes": list(token.encode())}]
        for i in range(1, top):
            alt = f"{token.strip() or '_'}~{i}"
            alternatives.append(
                {"token": alt, "logprob": round(logprob - i, 4), "bytes": list(alt.encode())}
            )
        entry["top_logprobs"] = alternatives
    return [entry]


def _respond(h: Handler, body: dict[str, Any], generate: bool) -> None:
    kind = "generate" if generate else "chat"
    checked = _check(h, body, kind)
    if checked is None:
        return
    model, record, think, keep_alive = checked
    store = h.fake.store
    messages = _conversation(body, generate)
    empty = not body.get("prompt") if generate else not body.get("messages")
    first_load = store.touch(record, keep_alive, num_ctx_of(body.get("options")))
    if empty:  # load (or, with keep_alive 0, unload) the model and say so
        final = _chunk(model, generate, "", None)
        final.update(done=True, done_reason="unload" if keep_alive == 0 else "load")
        h.send_json(200, final)
        return

    reply_fn = h.fake.reply
    text = reply_fn(model, messages) if reply_fn else reply_text(model, messages)
    if body.get("format"):
        text = json_reply(body["format"], text)
    thinking_on = "thinking" in record.capabilities and think is not False
    thoughts = tokenize(thinking_text(model, messages)) if thinking_on else []
    tokens = tokenize(text)
    calls = tool_calls(body) if not generate and "tools" in record.capabilities else None
    if calls:
        tokens = []  # the model answers with the call, no text
    done_reason = "stop"
    limit = (body.get("options") or {}).get("num_predict")
    if isinstance(limit, int) and limit >= 0 and len(thoughts) + len(tokens) > limit:
        keep = max(0, limit - len(thoughts))
        thoughts, tokens = thoughts[:limit], tokens[:keep]
        done_reason = "length"
    prompt_tokens = sum(len(tokenize(str(m.get("content") or ""))) for m in messages) + 8

    want_logprobs = body.get("logprobs") is True
    top_value = body.get("top_logprobs")
    top = top_value if isinstance(top_value, int) else 0
    stream = body.get("stream", True) is not False
    writer = StreamWriter(h, h.fake.faults.take_stream_fault(h.path)) if stream else None
    started = time.monotonic_ns()
    try:
        for i, token in enumerate([*thoughts, *tokens]):
            if h.fake.stopping.is_set():
                raise ClientGone
            rate = float(h.fake.token_rate)
            if rate > 0:
                time.sleep(1.0 / rate)
            if writer is not None:
                is_thought = i < len(thoughts)
                chunk = _chunk(
                    model, generate, "" if is_thought else token, token if is_thought else None
                )
                if want_logprobs:  # ChatResponse.Logprobs, omitempty (api/types.go)
                    chunk["logprobs"] = _logprobs(token, top)
                writer.write(chunk)
            elif h.client_gone():
                raise ClientGone
    except (ClientGone, StreamStopped):
        h.close_connection = True
        return
    finally:
        if keep_alive == 0:
            store.unload(record)

    if calls and writer is not None:
        call_chunk = _chunk(model, generate, "", None)
        call_chunk["message"]["tool_calls"] = calls
        with contextlib.suppress(ClientGone, StreamStopped):
            writer.write(call_chunk)
    eval_ns = max(1, time.monotonic_ns() - started)
    load_ns = LOAD_NS if first_load else 2_000_000
    prompt_ns = prompt_tokens * 400_000
    final = _chunk(model, generate, "", None)
    if writer is None:  # stream:false joins the chunks
        final = _chunk(model, generate, "".join(tokens), "".join(thoughts) or None)
        if calls:
            final["message"]["tool_calls"] = calls
        if want_logprobs:
            final["logprobs"] = [e for t in [*thoughts, *tokens] for e in _logprobs(t, top)]
    final.update(
        done=True,
        done_reason=done_reason,
        total_duration=load_ns + prompt_ns + eval_ns,
        load_duration=load_ns,
        prompt_eval_count=prompt_tokens,
        prompt_eval_duration=prompt_ns,
        eval_count=len(thoughts) + len(tokens),
        eval_duration=eval_ns,
    )
    if generate:
        final["context"] = list(range(1, min(prompt_tokens + len(tokens), 64) + 1))
    if writer is None:
        h.send_json(200, final)
        return
    with contextlib.suppress(ClientGone, StreamStopped):
        writer.write(final)
        writer.end()


def chat(h: Handler, body: Any) -> None:
    _respond(h, body if isinstance(body, dict) else {}, generate=False)


def generate(h: Handler, body: Any) -> None:
    _respond(h, body if isinstance(body, dict) else {}, generate=True)

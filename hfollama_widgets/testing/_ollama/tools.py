"""FakeOllama's tool calls: a chat request carrying ``tools`` to a model with the ``tools``
capability gets a ``message.tool_calls`` reply instead of text.

Shape from ollama/ollama api/types.go:221-229 (``ToolCall{ID, Function{Index, Name,
Arguments}}``); the id looks like ``toolCallId`` makes it (``"call_"`` + 8 of ``a-z0-9``,
server/routes.go:2305-2312), derived here from the request so replies stay deterministic. The
first tool is called, once per user turn (after a ``tool`` message the model answers in text),
with a placeholder for each required parameter.

>>> tool = {"type": "function", "function": {"name": "get_weather", "parameters": {
...     "type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}}}
>>> calls = tool_calls({"tools": [tool], "messages": [{"role": "user", "content": "Paris?"}]})
>>> calls[0]["function"], calls[0]["id"].startswith("call_")
({'index': 0, 'name': 'get_weather', 'arguments': {'city': 'example'}}, True)
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["tool_calls"]

_PLACEHOLDER: dict[str, Any] = {
    "string": "example", "number": 1, "integer": 1, "boolean": True, "array": [], "object": {},
}  # fmt: skip


def _arguments(parameters: Any) -> dict[str, Any]:
    if not isinstance(parameters, dict):
        return {}
    properties = parameters.get("properties") or {}
    required = parameters.get("required") or []
    out: dict[str, Any] = {}
    for name in required:
        spec = properties.get(name) if isinstance(properties, dict) else None
        kind = spec.get("type") if isinstance(spec, dict) else "string"
        out[str(name)] = _PLACEHOLDER.get(kind if isinstance(kind, str) else "string", "example")
    return out


def tool_calls(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The tool calls for a chat request that carries ``tools`` (``None``: answer in text)."""
    tools = body.get("tools")
    messages = body.get("messages") or []
    if not isinstance(tools, list) or not tools or not messages:
        return None
    last = messages[-1] if isinstance(messages[-1], dict) else {}
    if last.get("role") != "user":
        return None
    function = tools[0].get("function") if isinstance(tools[0], dict) else None
    if not isinstance(function, dict) or not function.get("name"):
        return None
    seed = json.dumps([function.get("name"), messages], sort_keys=True, default=str)
    digest = hashlib.sha256(seed.encode()).digest()
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    call_id = "call_" + "".join(letters[b % len(letters)] for b in digest[:8])
    return [
        {
            "id": call_id,
            "function": {
                "index": 0,
                "name": str(function["name"]),
                "arguments": _arguments(function.get("parameters")),
            },
        }
    ]

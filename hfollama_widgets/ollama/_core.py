"""What the sync and async clients share, part 1: building requests (no I/O).

A method builds a :class:`Call` (HTTP method, path, JSON body without ``None`` fields, whether it
streams); the client sends it; :mod:`._decode` turns the answer into dicts or typed errors.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hfollama_widgets._version import __version__
from hfollama_widgets.errors import (
    InvalidModelRefError,
)
from hfollama_widgets.ollama._host import remember_header_secrets
from hfollama_widgets.ollama._options import check_keep_alive, check_options

__all__ = [
    "Call",
    "ImageInput",
    "Message",
    "build_headers",
    "chat_call",
    "delete_call",
    "embed_call",
    "encode_image",
    "generate_call",
    "pull_call",
    "show_call",
]

Endpoint = Literal["version", "list", "ps", "show", "delete", "pull", "chat", "generate", "embed"]
ImageInput = bytes | str | Path
Message = Mapping[str, Any]

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")


def _user_agent() -> str:
    return f"hfollama-widgets/{__version__}"


def build_headers(headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """Default headers (lower-cased names) merged with the caller's (secret values are
    registered for redaction).

    ``authorization: Bearer $OLLAMA_API_KEY`` is added when the variable is set and the caller
    gave no authorization header.

    >>> build_headers({"X-Trace": "1"})["user-agent"].startswith("hfollama-widgets/")
    True
    """
    merged = {"accept": "application/json", "content-type": "application/json"}
    merged.update({k.lower(): v for k, v in (headers or {}).items()})
    merged["user-agent"] = _user_agent()
    remember_header_secrets(merged)
    api_key = os.environ.get("OLLAMA_API_KEY")
    if api_key and "authorization" not in merged:
        merged["authorization"] = f"Bearer {api_key}"
    return merged


@dataclass(frozen=True)
class Call:
    """One API call, before it is sent."""

    endpoint: Endpoint
    method: str
    path: str
    body: dict[str, Any] | None = None
    stream: bool = False
    model: str | None = None


def _checked(options: Mapping[str, Any] | None, keep_alive: float | str | None) -> None:
    """Fail before the request when Ollama would refuse ``options`` / ``keep_alive``."""
    check_options(options)
    check_keep_alive(keep_alive)


def _compact(**fields: Any) -> dict[str, Any]:
    """The request body: every field that is not ``None``."""
    return {k: v for k, v in fields.items() if v is not None}


def _require_model(model: str) -> str:
    if not isinstance(model, str) or not model.strip():
        raise InvalidModelRefError(
            "A model name is required.",
            fix="Pass a name such as 'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'.",
        )
    return model


def encode_image(image: ImageInput) -> str:
    """An image as the base64 text Ollama expects: from bytes, a file path, or base64 text.

    >>> encode_image(b"\\x89PNG")
    'iVBORw=='
    >>> encode_image("iVBORw==")
    'iVBORw=='
    """
    if isinstance(image, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(image)).decode("ascii")
    if isinstance(image, Path):
        return base64.b64encode(image.read_bytes()).decode("ascii")
    if isinstance(image, str):
        if len(image) < 4096:
            path = Path(image).expanduser()
            try:
                if path.is_file():
                    return base64.b64encode(path.read_bytes()).decode("ascii")
            except OSError:
                pass
            if image.lower().endswith(_IMAGE_SUFFIXES):
                raise FileNotFoundError(f"Image file not found: {image}")
        try:
            base64.b64decode(image, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(
                "Invalid image: expected bytes, a path to an image file, or base64 text."
            ) from exc
        return image
    raise TypeError(f"Invalid image type {type(image).__name__}: use bytes, a path or base64 text.")


def _encode_messages(messages: Sequence[Message] | None) -> list[dict[str, Any]] | None:
    if messages is None:
        return None
    out = []
    for message in messages:
        item = dict(message)
        if item.get("images"):
            item["images"] = [encode_image(i) for i in item["images"]]
        out.append(item)
    return out


def show_call(model: str, *, verbose: bool = False) -> Call:
    body = _compact(model=_require_model(model), verbose=True if verbose else None)
    return Call("show", "POST", "/api/show", body, model=model)


def delete_call(model: str) -> Call:
    return Call("delete", "DELETE", "/api/delete", {"model": _require_model(model)}, model=model)


def pull_call(model: str, *, insecure: bool = False, stream: bool = False) -> Call:
    body = _compact(model=_require_model(model), insecure=True if insecure else None, stream=stream)
    return Call("pull", "POST", "/api/pull", body, stream=stream, model=model)


def chat_call(
    model: str,
    messages: Sequence[Message] | None,
    *,
    stream: bool,
    think: bool | str | None,
    format: str | Mapping[str, Any] | None,
    options: Mapping[str, Any] | None,
    keep_alive: float | str | None,
    tools: Sequence[Mapping[str, Any]] | None,
) -> Call:
    _checked(options, keep_alive)
    body = _compact(
        model=_require_model(model),
        messages=_encode_messages(messages) if messages is not None else [],
        tools=list(tools) if tools is not None else None,
        stream=stream,
        think=think,
        format=format,
        options=dict(options) if options is not None else None,
        keep_alive=keep_alive,
    )
    return Call("chat", "POST", "/api/chat", body, stream=stream, model=model)


def generate_call(
    model: str,
    prompt: str,
    *,
    stream: bool,
    suffix: str | None,
    images: Sequence[ImageInput] | None,
    system: str | None,
    template: str | None,
    raw: bool | None,
    think: bool | str | None,
    format: str | Mapping[str, Any] | None,
    options: Mapping[str, Any] | None,
    keep_alive: float | str | None,
) -> Call:
    _checked(options, keep_alive)
    body = _compact(
        model=_require_model(model),
        prompt=prompt,
        suffix=suffix,
        images=[encode_image(i) for i in images] if images else None,
        system=system,
        template=template,
        raw=raw,
        think=think,
        format=format,
        options=dict(options) if options is not None else None,
        keep_alive=keep_alive,
        stream=stream,
    )
    return Call("generate", "POST", "/api/generate", body, stream=stream, model=model)


def embed_call(
    model: str,
    input: str | Sequence[str],
    *,
    truncate: bool | None,
    dimensions: int | None,
    options: Mapping[str, Any] | None,
    keep_alive: float | str | None,
) -> Call:
    _checked(options, keep_alive)
    body = _compact(
        model=_require_model(model),
        input=input if isinstance(input, str) else list(input),
        truncate=truncate,
        dimensions=dimensions,
        options=dict(options) if options is not None else None,
        keep_alive=keep_alive,
    )
    return Call("embed", "POST", "/api/embed", body, model=model)

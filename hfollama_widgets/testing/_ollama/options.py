"""FakeOllama's checks of ``options`` and ``keep_alive``, the way Ollama decodes them.

``options`` go through ``Options.FromMap`` (ollama/ollama api/types.go:991-1091, at fb30760):
each known key must have its field's JSON type, else ``option "temperature" must be of type
float32`` (and the integer/boolean/string/array variants); unknown keys are only logged
(``slog.Warn("invalid option provided")``); ``null`` is skipped. The error comes from
``scheduleRunner`` after the capability check and falls into ``handleScheduleError``'s default
branch: HTTP 500 (server/routes.go:202-232, 3107-3119).

``keep_alive`` is an ``api.Duration`` (``Duration.UnmarshalJSON``, api/types.go:1243-1271): a
number is seconds (negative: forever), a string goes through Go's ``time.ParseDuration`` (so
``"300"`` fails with ``time: missing unit in duration "300"``), any other type is
``Unsupported type: '<go type>'``; gin's ``ShouldBindJSON`` turns that into HTTP 400.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["OPTION_TYPES", "option_error", "parse_go_duration", "parse_keep_alive"]

#: JSON option name -> Go kind, from the ``Options`` and ``Runner`` structs
#: (api/types.go:568-596 at fb30760). ``main_gpu`` is ``*int``, ``use_mmap`` ``*bool``.
OPTION_TYPES: dict[str, str] = {
    "num_ctx": "integer", "num_batch": "integer", "num_gpu": "integer", "main_gpu": "integer",
    "use_mmap": "boolean", "num_thread": "integer", "draft_num_predict": "integer",
    "num_keep": "integer", "seed": "integer", "num_predict": "integer", "top_k": "integer",
    "top_p": "float32", "min_p": "float32", "typical_p": "float32", "repeat_last_n": "integer",
    "temperature": "float32", "repeat_penalty": "float32", "presence_penalty": "float32",
    "frequency_penalty": "float32", "stop": "array",
}  # fmt: skip
DEFAULT_KEEP_ALIVE = 300.0  # `d.Duration = 5 * time.Minute` (api/types.go:1249)
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}
_UNITS["h"] = 3600.0  # Go's time.unitMap (src/time/format.go)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def option_error(options: Any) -> str | None:
    """Ollama's error for the first wrongly typed option, else ``None``.

    >>> option_error({"temperature": "0.2"})
    'option "temperature" must be of type float32'
    >>> option_error({"temperature": 1, "num_ctx": 4096.0, "nonsense": "x"}) is None
    True
    """
    if not isinstance(options, dict):
        return None
    for key, value in options.items():
        kind = OPTION_TYPES.get(key)
        if kind is None or value is None:
            continue
        if kind in ("integer", "float32") and not _is_number(value):
            return f'option "{key}" must be of type {kind}'
        if kind == "boolean" and not isinstance(value, bool):
            return f'option "{key}" must be of type boolean'
        if kind == "array":
            if not isinstance(value, list):
                return f'option "{key}" must be of type array'
            if not all(isinstance(item, str) for item in value):
                return f'option "{key}" must be of an array of strings'
    return None


def parse_go_duration(text: str) -> float:
    """Seconds in a Go duration string, like ``time.ParseDuration`` (same error texts).

    >>> parse_go_duration("1h30m"), parse_go_duration("0"), parse_go_duration("-1.5s")
    (5400.0, 0.0, -1.5)
    >>> parse_go_duration("300")
    Traceback (most recent call last):
    ...
    ValueError: time: missing unit in duration "300"
    """
    quoted = '"' + text + '"'
    rest, sign = text, 1.0
    if rest[:1] in ("-", "+"):
        sign, rest = (-1.0 if rest[0] == "-" else 1.0), rest[1:]
    if rest == "0":
        return 0.0
    if not rest:
        raise ValueError(f"time: invalid duration {quoted}")
    total = 0.0
    while rest:
        number = re.match(r"(\d*)(?:\.(\d*))?", rest)
        assert number is not None  # the pattern matches the empty string
        if not number.group(1) and not number.group(2):
            raise ValueError(f"time: invalid duration {quoted}")
        rest = rest[number.end() :]
        unit = re.match(r"[^\d.]*", rest)
        name = unit.group(0) if unit else ""
        if not name:
            raise ValueError(f"time: missing unit in duration {quoted}")
        if name not in _UNITS:
            raise ValueError(f'time: unknown unit "{name}" in duration {quoted}')
        rest = rest[len(name) :]
        total += float(number.group(0) or 0) * _UNITS[name]
    return sign * total


def _go_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    return type(value).__name__


def parse_keep_alive(value: Any) -> float | None:
    """Seconds to stay loaded (``None``: forever), as ``Duration.UnmarshalJSON`` reads it.

    >>> parse_keep_alive("5m"), parse_keep_alive(-1), parse_keep_alive(None)
    (300.0, None, 300.0)
    >>> parse_keep_alive(True)
    Traceback (most recent call last):
    ...
    ValueError: Unsupported type: 'bool'
    """
    if value is None:  # JSON null on a *Duration leaves it nil: the default applies
        return DEFAULT_KEEP_ALIVE
    if _is_number(value):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = parse_go_duration(value)
    else:
        raise ValueError(f"Unsupported type: '{_go_type(value)}'")
    return None if seconds < 0 else seconds

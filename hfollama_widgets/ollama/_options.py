"""Checks of ``options`` and ``keep_alive`` before a request leaves (no I/O).

Ollama refuses a wrongly typed option only once the model is scheduled, with HTTP 500
(``Options.FromMap``, ollama/ollama api/types.go:991-1091; ``handleScheduleError``,
server/routes.go:3107-3119), and a ``keep_alive`` string without a unit with HTTP 400
(``Duration.UnmarshalJSON`` -> Go's ``time.ParseDuration``, api/types.go:1243-1271). Both are
caught here first, with an error that names the fix. Unknown option names pass: Ollama only
logs them (``invalid option provided``).

>>> check_options({"temperature": 0.2, "stop": ["</s>"], "num_ctx": 8192})
>>> check_options({"temperature": "0.2"})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
hfollama_widgets.errors.InvalidArgumentTypeError: options['temperature']='0.2' is not valid: ...
>>> check_keep_alive("300")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
hfollama_widgets.errors.InvalidArgumentError: keep_alive='300' is not valid: it has no unit ...
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hfollama_widgets.errors import InvalidArgumentError, InvalidArgumentTypeError

__all__ = ["OPTION_KINDS", "check_keep_alive", "check_options"]

#: Option name -> what Ollama's decoder wants, from the ``Options`` and ``Runner`` structs of
#: ollama/ollama api/types.go:568-596 (fb30760, v0.33.0-rc2): Go ``int`` -> "integer" (any JSON
#: number; a fraction is truncated), ``float32`` -> "number", ``*bool`` -> "boolean",
#: ``[]string`` -> "list of strings".
OPTION_KINDS: dict[str, str] = {
    # Runner (fixed when the model loads)
    "num_ctx": "integer", "num_batch": "integer", "num_gpu": "integer", "main_gpu": "integer",
    "use_mmap": "boolean", "num_thread": "integer", "draft_num_predict": "integer",
    # Options (per request)
    "num_keep": "integer", "seed": "integer", "num_predict": "integer", "top_k": "integer",
    "top_p": "number", "min_p": "number", "typical_p": "number", "repeat_last_n": "integer",
    "temperature": "number", "repeat_penalty": "number", "presence_penalty": "number",
    "frequency_penalty": "number", "stop": "list of strings",
}  # fmt: skip
_EXAMPLE = {"integer": "4096", "number": "0.7", "boolean": "True", "list of strings": "['</s>']"}
# Go's time.ParseDuration grammar: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ with Go's units, or "0".
_GO_DURATION = re.compile(r"[-+]?(0|((\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)")


def _fits(kind: str, value: Any) -> bool:
    if kind in ("integer", "number"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


def check_options(options: Mapping[str, Any] | None) -> None:
    """Raise :class:`InvalidArgumentTypeError` for the first option Ollama would refuse."""
    if options is None:
        return
    if not isinstance(options, Mapping):
        raise InvalidArgumentTypeError(
            "options", options, "must be a dict", fix="Pass e.g. options={'temperature': 0.7}."
        )
    for key, value in options.items():
        kind = OPTION_KINDS.get(key)
        if kind is None or value is None or _fits(kind, value):
            continue
        raise InvalidArgumentTypeError(
            f"options[{key!r}]",
            value,
            f"must be a {kind} (Ollama answers HTTP 500 'option \"{key}\" must be of type …')",
            fix=f"Pass a {kind}, e.g. options={{{key!r}: {_EXAMPLE[kind]}}}.",
        )


def check_keep_alive(keep_alive: float | str | None) -> None:
    """Raise :class:`InvalidArgumentError` for a ``keep_alive`` Ollama would refuse."""
    if keep_alive is None:
        return
    if isinstance(keep_alive, (int, float)) and not isinstance(keep_alive, bool):
        return
    fix = (
        "Pass seconds as a number (keep_alive=300) or a duration with a unit "
        "(keep_alive='5m', '1h', '30s'); 0 unloads at once, a negative value keeps it loaded."
    )
    if not isinstance(keep_alive, str):
        raise InvalidArgumentTypeError("keep_alive", keep_alive, "must be a number or str", fix=fix)
    if _GO_DURATION.fullmatch(keep_alive):
        return
    problem = (
        "has no unit (Ollama answers 400 'time: missing unit in duration')"
        if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)", keep_alive)
        else "is not a Go duration (Ollama answers 400 'time: invalid duration')"
    )
    raise InvalidArgumentError("keep_alive", keep_alive, problem, fix=fix)

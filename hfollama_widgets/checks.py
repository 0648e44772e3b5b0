"""Strict checks of numeric arguments (pure, no I/O): sizes in GB, context lengths.

A value is refused with a typed error naming the parameter and the value:
:class:`~hfollama_widgets.errors.InvalidArgumentTypeError` (also ``TypeError``) for a wrong
type, including ``bool`` (``True`` is not 1 GB) and strings (``"8"`` is not 8 GB);
:class:`~hfollama_widgets.errors.InvalidArgumentError` (also ``ValueError``) for NaN,
infinity, zero or a negative number. ``None`` means "the default" where a check allows it.

>>> positive_number("max_size_gb", 8), positive_number("max_size_gb", None)
(8.0, None)
>>> positive_number("max_size_gb", float("nan"))
Traceback (most recent call last):
...
hfollama_widgets.errors.InvalidArgumentError: max_size_gb=nan is not valid: it must be ...
"""

from __future__ import annotations

import math
import numbers

from hfollama_widgets.errors import InvalidArgumentError, InvalidArgumentTypeError

__all__ = ["non_negative_number", "positive_int", "positive_number"]

_FIXES = {
    "max_size_gb": "Pass the size limit in GB (10**9 bytes) as a number > 0, e.g. "
    "max_size_gb=8, or None for no limit.",
    "context_length": "Pass the context length in tokens as a whole number > 0, e.g. "
    "context_length=8192, or None for the default (4096, or the model's maximum if smaller).",
}


def _fix(param: str, fix: str | None) -> str:
    if fix:
        return fix
    return _FIXES.get(param, f"Pass {param} as a finite number.")


def _real(param: str, value: object, fix: str | None) -> float:
    """``value`` as a float if it is a real number (not bool, not str); else a typed error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidArgumentTypeError(
            param,
            value,
            f"must be a number, not {type(value).__name__}",
            fix=_fix(param, fix),
        )
    number = float(value)
    if not math.isfinite(number):
        raise InvalidArgumentError(
            param, value, "must be a finite number (not NaN or infinity)", fix=_fix(param, fix)
        )
    return number


def positive_number(
    param: str, value: object, *, allow_none: bool = True, fix: str | None = None
) -> float | None:
    """``value`` as a float if it is a finite number > 0 (``None`` passes if ``allow_none``).

    >>> positive_number("max_size_gb", True)
    Traceback (most recent call last):
    ...
    hfollama_widgets.errors.InvalidArgumentTypeError: max_size_gb=True is not valid: ...
    >>> positive_number("max_size_gb", -1)
    Traceback (most recent call last):
    ...
    hfollama_widgets.errors.InvalidArgumentError: max_size_gb=-1 is not valid: it must be > 0...
    """
    if value is None and allow_none:
        return None
    number = _real(param, value, fix)
    if number <= 0:
        raise InvalidArgumentError(param, value, "must be > 0", fix=_fix(param, fix))
    return number


def non_negative_number(
    param: str, value: object, *, allow_none: bool = True, fix: str | None = None
) -> float | None:
    """``value`` as a float if it is a finite number >= 0 (``None`` passes if ``allow_none``).

    >>> non_negative_number("vram_gb", 0)
    0.0
    >>> non_negative_number("ram_gb", "16")
    Traceback (most recent call last):
    ...
    hfollama_widgets.errors.InvalidArgumentTypeError: ram_gb='16' is not valid: ...
    """
    if value is None and allow_none:
        return None
    number = _real(param, value, fix)
    if number < 0:
        raise InvalidArgumentError(param, value, "must be >= 0", fix=_fix(param, fix))
    return number


def positive_int(
    param: str, value: object, *, allow_none: bool = True, fix: str | None = None
) -> int | None:
    """``value`` as an int if it is a whole number > 0 (``4096.0`` passes, ``4096.5`` does not).

    >>> positive_int("context_length", 8192.0), positive_int("context_length", None)
    (8192, None)
    >>> positive_int("context_length", 0)
    Traceback (most recent call last):
    ...
    hfollama_widgets.errors.InvalidArgumentError: context_length=0 is not valid: it must be > 0...
    """
    if value is None and allow_none:
        return None
    number = _real(param, value, fix)
    if number != int(number):
        raise InvalidArgumentError(
            param, value, "must be a whole number of tokens", fix=_fix(param, fix)
        )
    if number <= 0:
        raise InvalidArgumentError(param, value, "must be > 0", fix=_fix(param, fix))
    return int(number)

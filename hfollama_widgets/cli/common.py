"""Shared pieces of the ``hfollama`` CLI: exit codes, error output, the services, tables."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from hfollama_widgets.errors import (
    HFOllamaError,
    HubServerError,
    HubUnreachableError,
    IncompletePullError,
    InvalidArgumentError,
    NotOllamaError,
    OllamaConnectionError,
    OllamaProtocolError,
    OllamaServerError,
    OllamaTimeoutError,
    StreamError,
)
from hfollama_widgets.hub import Hub
from hfollama_widgets.listing import to_records
from hfollama_widgets.ollama import Client

if TYPE_CHECKING:
    import pandas as pd


# Exit codes (documented in `hfollama --help`).
EXIT_OK = 0
EXIT_USER = 1  # the request cannot be served: unknown repo, gated, no such quant, ...
EXIT_USAGE = 2  # bad command line (click)
EXIT_UNREACHABLE = 3  # Ollama or the Hub cannot be reached (or did not answer in time)
EXIT_SERVICE = 4  # Ollama or the Hub failed (HTTP 5xx, broken stream)
EXIT_INTERRUPTED = 130  # Ctrl-C

EXIT_CODES_HELP = """Exit codes:
  0    ok
  1    the request cannot be served (unknown or gated repo, no such quant, split-only repo, ...)
  2    bad command line
  3    Ollama or the Hub is not reachable (or did not answer in time)
  4    Ollama or the Hub failed (server error, broken stream)
  130  interrupted (Ctrl-C)"""


_SERVICE_ERRORS = (
    HubServerError,
    OllamaServerError,
    OllamaProtocolError,
    StreamError,
    IncompletePullError,
)


def exit_code_for(exc: HFOllamaError) -> int:
    """The exit code for one of our errors (the table in :data:`EXIT_CODES_HELP`).

    >>> exit_code_for(OllamaConnectionError("down")), exit_code_for(OllamaTimeoutError("slow"))
    (3, 3)
    >>> exit_code_for(InvalidArgumentError("max_size_gb", -1.0, "must be > 0"))
    2
    """
    if isinstance(exc, InvalidArgumentError):
        return EXIT_USAGE
    if isinstance(exc, NotOllamaError):  # something answers, but no Ollama is reachable there
        return EXIT_UNREACHABLE
    if isinstance(exc, _SERVICE_ERRORS):
        return EXIT_SERVICE
    if isinstance(exc, (OllamaConnectionError, OllamaTimeoutError, HubUnreachableError)):
        return EXIT_UNREACHABLE
    return EXIT_USER


class PositiveFloat(click.ParamType):
    """A finite float > 0 (or >= ``minimum`` when given); ``nan``/``inf``/``0`` are usage errors.

    >>> PositiveFloat().convert("1.5", None, None)
    1.5
    >>> PositiveFloat().convert("nan", None, None)
    Traceback (most recent call last):
    ...
    click.exceptions.BadParameter: 'nan' is not a finite number > 0.
    """

    name = "float"

    def __init__(self, minimum: float | None = None) -> None:
        self.minimum = minimum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number.", param, ctx)
        if self.minimum is not None:
            if not (math.isfinite(number) and number >= self.minimum):
                self.fail(f"{value!r} is not a finite number >= {self.minimum:g}.", param, ctx)
        elif not (math.isfinite(number) and number > 0):
            self.fail(f"{value!r} is not a finite number > 0.", param, ctx)
        return number


def report(exc: HFOllamaError) -> None:
    """``error: <message>`` and ``  fix: <fix>`` on stderr (both already token-free)."""
    click.echo(f"error: {exc.message}", err=True)
    if exc.fix:
        click.echo(f"  fix: {exc.fix}", err=True)
    hint(exc)


def hint(exc: HFOllamaError) -> None:
    """Which option picks the service that failed (for unreachable / timed-out ones)."""
    if isinstance(exc, (OllamaConnectionError, OllamaTimeoutError, NotOllamaError)):
        click.echo("  (hfollama: --host URL or OLLAMA_HOST picks the Ollama server)", err=True)
    elif isinstance(exc, HubUnreachableError):
        click.echo("  (hfollama: --hf-endpoint URL or HF_ENDPOINT picks the Hub)", err=True)


def note(text: str) -> None:
    """A remark for people (stderr), so stdout stays machine-readable."""
    click.echo(text, err=True)


@dataclass
class GlobalOptions:
    """The Ollama host and Hub endpoint from the global options; clients made on first use."""

    host: str | None = None
    hf_endpoint: str | None = None
    timeout: float | None = None
    _client: Client | None = field(default=None, repr=False)
    _hub: Hub | None = field(default=None, repr=False)

    @property
    def client(self) -> Client:
        if self._client is None:
            if self.timeout is None:
                self._client = Client(self.host)
            else:  # short calls and the silences between two stream chunks alike
                self._client = Client(self.host, timeout=self.timeout, stream_timeout=self.timeout)
        return self._client

    @property
    def hub(self) -> Hub:
        if self._hub is None:
            self._hub = Hub(endpoint=self.hf_endpoint, timeout=self.timeout)
        return self._hub


pass_options = click.make_pass_decorator(GlobalOptions, ensure=True)


# --- output -------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:g}" if abs(value) >= 1e5 else f"{value:.2f}"
    if isinstance(value, (tuple, list)):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return "" if text in ("<NA>", "nan", "NaT") else text


def format_count(n: Any) -> str:
    """A parameter count the short way (``"?"`` when unknown).

    >>> format_count(1.24e9), format_count(8030261248), format_count(None)
    ('1.24B', '8.03B', '?')
    """
    if n is None:
        return "?"
    n = float(n)
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.2f}".rstrip("0").rstrip(".") + unit
    return f"{int(n)}"


def format_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain aligned text table (numbers right-aligned).

    >>> print(format_table([["Q4_K_M", 0.81], ["Q8_0", 1.32]], ["quant", "GB"]))
    quant     GB
    ------  ----
    Q4_K_M  0.81
    Q8_0    1.32
    """
    cells = [[_cell(v) for v in row] for row in rows]
    numeric = [
        all(isinstance(row[i], (int, float)) and not isinstance(row[i], bool) for row in rows)
        and bool(rows)
        for i in range(len(headers))
    ]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        out = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(out).rstrip()

    parts = [line(list(headers)), "  ".join("-" * w for w in widths)]
    parts += [line(r) for r in cells]
    return "\n".join(parts)


def emit_frame(df: pd.DataFrame, fmt: str, table: Callable[[pd.DataFrame], str]) -> None:
    """Write ``df`` to stdout as ``json``, ``csv`` or the readable ``table``."""
    if fmt == "json":
        click.echo(json.dumps(to_records(df), indent=2, ensure_ascii=False))
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(list(df.columns))
        for record in to_records(df):
            writer.writerow(
                [";".join(map(str, v)) if isinstance(v, list) else v for v in record.values()]
            )
        click.echo(buffer.getvalue(), nl=False)
    else:
        click.echo(table(df))


def format_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--json`` / ``--csv`` flags setting one ``fmt`` parameter (default ``table``)."""
    f = click.option(
        "--csv", "fmt", flag_value="csv", help="Comma-separated values (all columns)."
    )(f)
    f = click.option("--json", "fmt", flag_value="json", help="JSON records (all columns).")(f)
    return click.option(
        "--table", "fmt", flag_value="table", default=True, hidden=True, help="Readable table."
    )(f)

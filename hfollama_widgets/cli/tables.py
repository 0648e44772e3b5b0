"""The text tables of ``hfollama ls`` and ``hfollama search`` (``--json`` / ``--csv``: raw columns).

>>> import pandas as pd
>>> found = pd.DataFrame({"id": ["o/m-GGUF"], "downloads": [1200], "likes": [3],
...     "last_modified": [pd.Timestamp("2024-10-04T12:00:00Z")], "parameters": [1.24e9],
...     "architecture": ["llama"]})
>>> print(search_table(found))
id        downloads  likes  updated     params  arch
--------  ---------  -----  ----------  ------  -----
o/m-GGUF       1200      3  2024-10-04  1.24B   llama
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hfollama_widgets.cli.common import format_count, format_table
from hfollama_widgets.listing import plain

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ls_many_table", "ls_table", "search_table"]


def _num(value: Any, digits: int) -> str:
    """A number with ``digits`` decimals, ``-`` for a missing value."""
    value = plain(value)
    return "-" if value is None else f"{float(value):.{digits}f}"


def ls_table(df: pd.DataFrame, *, sidecars: bool) -> str:
    """``list_gguf_files`` rows as a table: what Ollama can pull, and the ref to pull it by.

    ``eff_bpw`` is bytes x 8 / parameters, ``ppl+`` and ``kld`` llama.cpp's published loss for
    the type on Llama-3-8B (README "What the quality numbers mean"), ``pareto`` a ``*`` on the
    size/quality front (``-``: missing / not on it); ``tok/s`` (the decode ceiling) and
    ``fit`` appear when the listing has them (``hardware=``).
    """
    headers = ["quant", "size_gb", "bits", "eff_bpw", "quality", "ppl+", "kld", "pareto"]
    extra = [c for c in ("est_tokens_per_s", "fit_text") if c in df.columns]
    headers += [{"est_tokens_per_s": "tok/s", "fit_text": "fit"}[c] for c in extra]
    headers += ["shards", "ollama", "model_ref"]
    rows = []
    for _, r in df.iterrows():
        if r["kind"] != "model":
            ollama = r["kind"]
        elif r["ollama_pullable"]:
            ollama = "yes"
        else:
            ollama = "no (split)" if int(r["shards"]) > 1 else "no"
        row = [
            r["quantization"] or r["ollama_tag"] or r["filename"],
            round(float(r["size_gb"]), 2),
            None if r["bits_per_weight"] != r["bits_per_weight"] else r["bits_per_weight"],
            _num(r.get("effective_bpw"), 2),
            r["quality"],
            _num(r.get("ppl_delta"), 4),
            _num(r.get("kld"), 4),
            "*" if bool(plain(r.get("pareto"))) else "-",
        ]
        row += [_num(r[c], 1) if c == "est_tokens_per_s" else plain(r[c]) for c in extra]
        row += [int(r["shards"]), ollama, r["model_ref"] if r["ollama_pullable"] else ""]
        rows.append(row)
    if sidecars:
        headers.insert(1, "file")
        for row, (_, r) in zip(rows, df.iterrows(), strict=True):
            row.insert(1, r["filename"])
    return format_table(rows, headers)


def ls_many_table(df: pd.DataFrame, *, sidecars: bool) -> str:
    """``list_gguf_files_many`` rows as one table: the repo first, its error if it failed."""
    ok = df[df["error"].isna()]
    body = ls_table(ok, sidecars=sidecars).splitlines() if len(ok) else []
    headers, rule, lines = (body[0], body[1], body[2:]) if body else ("", "", [])
    width = max([len("repo"), *(len(str(r)) for r in df["repo_id"])])
    out = [f"{'repo':<{width}}  {headers}".rstrip(), f"{'-' * width}  {rule}".rstrip()]
    rows = iter(lines)
    for _, r in df.iterrows():
        if isinstance(r["error"], str):
            out.append(f"{r['repo_id']:<{width}}  error: {r['error']}")
        else:
            out.append(f"{r['repo_id']:<{width}}  {next(rows)}")
    return "\n".join(out)


def search_table(df: pd.DataFrame) -> str:
    """``search_models`` rows as a table (counts as integers, dates as YYYY-MM-DD)."""

    rows = [
        [
            r["id"],
            None if r["downloads"] is None else int(r["downloads"] or 0),
            None if r["likes"] is None else int(r["likes"] or 0),
            str(r["last_modified"])[:10] if str(r["last_modified"]) != "NaT" else "",
            format_count(r["parameters"]) if r["parameters"] == r["parameters"] else "",
            r["architecture"],
        ]
        for _, r in df.iterrows()
    ]
    return format_table(rows, ["id", "downloads", "likes", "updated", "params", "arch"])

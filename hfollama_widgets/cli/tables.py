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

from typing import TYPE_CHECKING

from hfollama_widgets.cli.common import format_count, format_table

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ls_many_table", "ls_table", "search_table"]


def ls_table(df: pd.DataFrame, *, sidecars: bool) -> str:
    """``list_gguf_files`` rows as a table: what Ollama can pull, and the ref to pull it by."""
    headers = ["quant", "size_gb", "bits", "quality", "shards", "ollama", "model_ref"]
    rows = []
    for _, r in df.iterrows():
        if r["kind"] != "model":
            ollama = r["kind"]
        elif r["ollama_pullable"]:
            ollama = "yes"
        else:
            ollama = "no (split)" if int(r["shards"]) > 1 else "no"
        rows.append(
            [
                r["quantization"] or r["ollama_tag"] or r["filename"],
                round(float(r["size_gb"]), 2),
                None if r["bits_per_weight"] != r["bits_per_weight"] else r["bits_per_weight"],
                r["quality"],
                int(r["shards"]),
                ollama,
                r["model_ref"] if r["ollama_pullable"] else "",
            ]
        )
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

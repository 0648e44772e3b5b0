"""``hfollama info REPO``: what the Hub says, the GGUF header, and a memory estimate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hfollama_widgets.cli.common import format_count
from hfollama_widgets.errors import (
    HFOllamaError,
    NoGGUFFilesError,
    SelectionError,
    SplitOnlyError,
)
from hfollama_widgets.gguf import FIT_TEXT, estimate_memory, fit_label
from hfollama_widgets.hardware import detect_hardware
from hfollama_widgets.listing import plain, select_row

if TYPE_CHECKING:
    import pandas as pd

    from hfollama_widgets.hub import Hub


def _recommend(models: pd.DataFrame, repo_id: str) -> tuple[str | None, str | None]:
    """The auto-selected ``model_ref`` Ollama can pull, or ``None`` and the real reason."""
    try:
        return str(select_row(models, repo_id=repo_id)["model_ref"]), None
    except SplitOnlyError:
        return None, "every quant is split into shards; Ollama cannot pull split GGUF files"
    except SelectionError as exc:
        return None, exc.message


def _pick(models: pd.DataFrame, repo_id: str, quantization: str | None) -> Any:
    """The row the header is read from: the asked quant (pullable or split), else the
    recommendation, else the smallest file (a split-only repo still has a header)."""
    try:
        return select_row(models, repo_id=repo_id, quantization=quantization)
    except SplitOnlyError:
        if quantization is None:
            return models.iloc[0]
        # the asked quant exists but is split: its first shard still has the header
        hits = models[models["quantization"].astype(str).str.lower() == quantization.lower()]
        if hits.empty:
            raise
        return hits.iloc[0]
    except SelectionError:
        if quantization is not None or models.empty:
            raise
    return models.iloc[0]


def gather(
    hub: Hub,
    repo_id: str,
    *,
    quantization: str | None = None,
    context_length: int | None = None,
    hardware: bool = True,
) -> dict[str, Any]:
    """Everything ``info`` shows, as plain data. Hub errors about the repo itself raise;
    a header that cannot be read becomes ``gguf_error``."""
    info = hub.model_info(repo_id)
    out: dict[str, Any] = {"info": info.to_dict(), "files": None, "recommended": None}
    try:
        df = hub.list_gguf_files(repo_id)
    except NoGGUFFilesError:
        df = None
    if df is None or df.empty:
        out["gguf_error"] = "the repo has no GGUF model files"
        return out
    models = df[df["kind"] == "model"]
    out["files"] = {
        "groups": len(models),
        "smallest_gb": plain(models["size_gb"].min()),
        "largest_gb": plain(models["size_gb"].max()),
        "pullable": int(models["ollama_pullable"].sum()),
    }
    out["recommended"], out["recommended_reason"] = _recommend(models, repo_id)
    row = _pick(models, repo_id, quantization)
    if quantization is not None:
        out["selected"] = {
            "quant": quantization,
            "quantization": plain(row["quantization"]),
            "model_ref": plain(row["model_ref"]) if bool(row["ollama_pullable"]) else None,
            "pullable": bool(row["ollama_pullable"]),
            "shards": int(row["shards"]),
        }
    out["file"] = str(row["filename"])
    out["quality"] = {
        k: plain(row.get(k))
        for k in ("quantization", "effective_bpw", "quality", "ppl_delta", "kld", "pareto")
    }
    try:
        meta = hub.gguf_metadata(repo_id, str(row["filename"]))
    except HFOllamaError as exc:
        out["gguf_error"] = exc.message
        return out
    out["gguf"] = {k: plain(v) for k, v in meta.to_dict().items() if k != "tensor_types"}
    est = estimate_memory(meta, context_length=context_length)
    out["memory"] = {k: plain(v) for k, v in est.items() if k != "overhead_breakdown"}
    if hardware and est.get("total_bytes"):
        hw = detect_hardware()
        label = fit_label(est["total_bytes"], hw)
        out["hardware"] = hw.to_dict()
        out["fit"] = {"label": label, "text": FIT_TEXT[label], "machine": hw.describe()}
    return out


def render(data: dict[str, Any]) -> str:
    """``gather()``'s data as readable text."""
    info = data["info"]
    yes = {True: "yes", False: "no", None: "?"}
    gated = info.get("gated")
    lines = [
        info["id"],
        f"  author: {info.get('author') or '?'}   downloads: {info.get('downloads') or 0:,}"
        f"   likes: {info.get('likes') or 0:,}",
        f"  gated: {gated if isinstance(gated, str) else yes.get(gated, '?')}"
        f"   private: {yes.get(info.get('private'), '?')}   license: {info.get('license') or '?'}",
        f"  pipeline: {info.get('pipeline_tag') or '?'}   architecture: "
        f"{info.get('architecture') or '?'}   parameters: {format_count(info.get('parameters'))}"
        f"   context: {info.get('context_length') or '?'}",
        f"  updated: {(info.get('last_modified') or '?')[:10]}",
    ]
    files = data.get("files")
    if files:
        lines.append(
            f"  GGUF: {files['groups']} files/groups, {files['smallest_gb']:.2f}-"
            f"{files['largest_gb']:.2f} GB, {files['pullable']} pullable by Ollama"
        )
    selected = data.get("selected")
    if selected:
        name = selected["quantization"] or selected["quant"]
        lines.append(
            f"  --quant {selected['quant']}: {selected['model_ref']}"
            if selected["model_ref"]
            else f"  --quant {selected['quant']}: {name} is split into {selected['shards']} "
            "files; Ollama cannot pull it"
        )
    if data.get("recommended"):
        lines.append(f"  recommended: {data['recommended']}")
    elif files:
        reason = data.get("recommended_reason") or "nothing Ollama can pull"
        lines.append(f"  recommended: none ({reason})")
    if data.get("quality"):
        lines.append(quality_line(data["quality"]))
    if data.get("gguf_error"):
        lines.append(f"GGUF header: not available ({data['gguf_error']})")
        return "\n".join(lines)
    g, m = data["gguf"], data["memory"]
    lines += [
        "",
        f"GGUF header of {data['file']}:",
        f"  {g.get('architecture')}, {format_count(g.get('parameter_count'))} parameters, "
        f"{g.get('block_count')} layers, trained context {g.get('context_length')}, "
        f"file type {g.get('file_type_name')}, "
        f"chat template: {yes[bool(g.get('has_chat_template'))]}",
    ]
    if m.get("supported"):
        lines += [
            f"Memory estimate (context {m['context_length']}, {m['kv_cache_type']} KV cache):",
            f"  weights {m['weights_gb']:.2f} GB + KV cache {m['kv_cache_gb']:.2f} GB + "
            + (
                f"recurrent state {m['recurrent_state_gb']:.2f} GB + "
                if m.get("recurrent_state_gb")
                else ""
            )
            + f"compute {m['overhead_gb']:.2f} GB = {m['total_gb']:.2f} GB",
        ]
    else:
        lines.append(f"Memory estimate: not available ({m.get('reason')})")
    if data.get("fit"):
        lines.append(f"  this machine ({data['fit']['machine']}): {data['fit']['text']}")
    return "\n".join(lines)


def quality_line(q: dict[str, Any]) -> str:
    """The shown file's quality figures (README "What the quality numbers mean").

    >>> quality_line({"quantization": "Q4_K_M", "effective_bpw": 4.89, "quality": "Good",
    ...               "ppl_delta": 0.1754, "kld": 0.031273, "pareto": True})[:60]
    '  Q4_K_M: 4.89 bits/weight, Good, +0.1754 ppl / KLD 0.0313 ('
    """
    bpw = f"{q['effective_bpw']:.2f} bits/weight" if q.get("effective_bpw") else "? bits/weight"
    loss = "no published ppl/KLD figure"
    if q.get("ppl_delta") is not None or q.get("kld") is not None:
        ppl = f"+{q['ppl_delta']:.4f} ppl" if q.get("ppl_delta") is not None else "ppl ?"
        kld = f"KLD {q['kld']:.4f}" if q.get("kld") is not None else "KLD ?"
        loss = f"{ppl} / {kld} (llama.cpp, Llama-3-8B)"
    front = ", on the size/quality front" if q.get("pareto") else ""
    name = q.get("quantization") or "this file"
    return f"  {name}: {bpw}, {q.get('quality') or '?'}, {loss}{front}"

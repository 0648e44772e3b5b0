"""Tensor layouts for synthetic GGUF files: names and shapes from the hyperparameters,
ggml types from the file's quant label (an approximation of llama-quantize's mixes).

Shapes are in ggml order (``ne[0]`` first: the row length), as written in a GGUF header.

>>> md = {"general.architecture": "llama", "llama.block_count": 1, "llama.embedding_length": 256,
...       "llama.feed_forward_length": 512, "llama.attention.head_count": 4}
>>> [t.name for t in model_tensors(md, vocab_size=32, tied=True)][:3]
['token_embd.weight', 'output_norm.weight', 'blk.0.attn_norm.weight']
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import prod
from typing import Any

from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

T = GGMLQuantizationType


@dataclass(frozen=True)
class TensorSpec:
    """One tensor: ``role`` decides its type (embd, output, norm, attn, attn_v, ffn, ...)."""

    name: str
    ne: tuple[int, ...]
    role: str
    layer: int = -1

    @property
    def n_elements(self) -> int:
        return prod(self.ne)


def _at(value: Any, i: int) -> int:
    """A hyperparameter that may be per layer (a list) or global."""
    return (
        int(value[i]) if isinstance(value, Sequence) and not isinstance(value, str) else int(value)
    )


def model_tensors(md: Mapping[str, Any], *, vocab_size: int, tied: bool) -> list[TensorSpec]:
    """Tensors of a language model with the architecture named in ``general.architecture``."""
    arch = str(md["general.architecture"])
    p = arch + "."
    n_layer = int(md[p + "block_count"])
    E = int(md[p + "embedding_length"])
    ff = md.get(p + "feed_forward_length", 4 * E)
    heads = md.get(p + "attention.head_count", max(1, E // 64))
    kv = md.get(p + "attention.head_count_kv", heads)
    n_exp = int(md.get(p + "expert_count", 0))
    ff_exp = int(md.get(p + "expert_feed_forward_length", 0) or _at(ff, 0))
    out: list[TensorSpec] = [TensorSpec("token_embd.weight", (E, vocab_size), "embd")]
    if arch == "nomic-bert":
        out += [
            TensorSpec("token_types.weight", (E, 2), "f32"),
            TensorSpec("token_embd_norm.weight", (E,), "norm"),
            TensorSpec("token_embd_norm.bias", (E,), "norm"),
        ]
    else:
        out.append(TensorSpec("output_norm.weight", (E,), "norm"))
        if not tied:
            out.append(TensorSpec("output.weight", (E, vocab_size), "output"))
    for i in range(n_layer):
        H, KV, FF = _at(heads, i), _at(kv, i), _at(ff, i)
        hk = int(md.get(p + "attention.key_length", E // H))
        hv = int(md.get(p + "attention.value_length", E // H))
        b = f"blk.{i}."

        def t(name: str, ne: tuple[int, ...], role: str, b: str = b, i: int = i) -> TensorSpec:
            return TensorSpec(b + name, ne, role, i)

        if arch == "nomic-bert":
            out += [
                t("attn_qkv.weight", (E, 3 * E), "attn"),
                t("attn_output.weight", (E, E), "attn"),
                t("attn_output_norm.weight", (E,), "norm"),
                t("attn_output_norm.bias", (E,), "norm"),
                t("ffn_up.weight", (E, FF), "ffn"),
                t("ffn_gate.weight", (E, FF), "ffn"),
                t("ffn_down.weight", (FF, E), "ffn_down"),
                t("layer_output_norm.weight", (E,), "norm"),
                t("layer_output_norm.bias", (E,), "norm"),
            ]
            continue
        out.append(t("attn_norm.weight", (E,), "norm"))
        if arch == "openelm":
            out += [
                t("attn_qkv.weight", (E, (H + 2 * KV) * hk), "attn"),
                t("attn_q_norm.weight", (hk,), "norm"),
                t("attn_k_norm.weight", (hk,), "norm"),
                t("attn_output.weight", (H * hv, E), "attn"),
                t("ffn_norm.weight", (E,), "norm"),
                t("ffn_up.weight", (E, 2 * FF), "ffn"),
                t("ffn_down.weight", (FF, E), "ffn_down"),
            ]
            continue
        if arch == "deepseek2":
            q_lora = int(md[p + "attention.q_lora_rank"])
            kv_lora = int(md[p + "attention.kv_lora_rank"])
            rope = int(md.get(p + "rope.dimension_count", 64))
            out += [
                t("attn_q_a.weight", (E, q_lora), "attn"),
                t("attn_q_a_norm.weight", (q_lora,), "norm"),
                t("attn_q_b.weight", (q_lora, H * hk), "attn"),
                t("attn_kv_a_mqa.weight", (E, kv_lora + rope), "attn"),
                t("attn_kv_a_norm.weight", (kv_lora,), "norm"),
                t("attn_kv_b.weight", (kv_lora, H * (hk - rope + hv)), "attn_v"),
                t("attn_output.weight", (H * hv, E), "attn"),
            ]
        else:
            out += [
                t("attn_q.weight", (E, H * hk), "attn"),
                t("attn_k.weight", (E, KV * hk), "attn"),
                t("attn_v.weight", (E, KV * hv), "attn_v"),
                t("attn_output.weight", (H * hv, E), "attn"),
            ]
            if arch in ("qwen2", "gpt-oss"):
                out += [
                    t("attn_q.bias", (H * hk,), "norm"),
                    t("attn_k.bias", (KV * hk,), "norm"),
                    t("attn_v.bias", (KV * hv,), "norm"),
                ]
            if arch == "gpt-oss":
                out += [t("attn_output.bias", (E,), "norm"), t("attn_sinks.weight", (H,), "norm")]
            if arch in ("qwen3", "qwen3moe"):
                out += [
                    t("attn_q_norm.weight", (hk,), "norm"),
                    t("attn_k_norm.weight", (hk,), "norm"),
                ]
        out.append(t("ffn_norm.weight", (E,), "norm"))
        dense = int(md.get(p + "leading_dense_block_count", 0))
        if n_exp and i >= dense:
            out += [
                t("ffn_gate_inp.weight", (E, n_exp), "router"),
                t("ffn_gate_exps.weight", (E, ff_exp, n_exp), "exps"),
                t("ffn_up_exps.weight", (E, ff_exp, n_exp), "exps"),
                t("ffn_down_exps.weight", (ff_exp, E, n_exp), "exps_down"),
            ]
            if arch == "gpt-oss":
                out += [
                    t("ffn_gate_inp.bias", (n_exp,), "norm"),
                    t("ffn_gate_exps.bias", (ff_exp, n_exp), "norm"),
                    t("ffn_up_exps.bias", (ff_exp, n_exp), "norm"),
                    t("ffn_down_exps.bias", (E, n_exp), "norm"),
                ]
            n_shared = int(md.get(p + "expert_shared_count", 0))
            if n_shared:
                sh = ff_exp * n_shared
                out += [
                    t("exp_probs_b.bias", (n_exp,), "norm"),
                    t("ffn_gate_shexp.weight", (E, sh), "ffn"),
                    t("ffn_up_shexp.weight", (E, sh), "ffn"),
                    t("ffn_down_shexp.weight", (sh, E), "ffn_down"),
                ]
        else:
            out += [
                t("ffn_gate.weight", (E, FF), "ffn"),
                t("ffn_up.weight", (E, FF), "ffn"),
                t("ffn_down.weight", (FF, E), "ffn_down"),
            ]
    return out


def clip_tensors(md: Mapping[str, Any], *, llm_dim: int) -> list[TensorSpec]:
    """Tensors of a LLaVA-style ``mmproj`` file (CLIP ViT + MLP projector into ``llm_dim``)."""
    p = "clip.vision."
    E = int(md[p + "embedding_length"])
    FF = int(md[p + "feed_forward_length"])
    patch = int(md[p + "patch_size"])
    n_pos = (int(md[p + "image_size"]) // patch) ** 2 + 1
    proj = llm_dim
    out = [
        TensorSpec("v.patch_embd.weight", (patch, patch, 3, E), "vision"),
        TensorSpec("v.class_embd", (E,), "f32"),
        TensorSpec("v.position_embd.weight", (E, n_pos), "vision"),
        TensorSpec("v.pre_ln.weight", (E,), "norm"),
        TensorSpec("v.pre_ln.bias", (E,), "norm"),
    ]
    for i in range(int(md[p + "block_count"])):
        b = f"v.blk.{i}."
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            out += [TensorSpec(b + name + ".weight", (E, E), "vision", i)]
            out += [TensorSpec(b + name + ".bias", (E,), "norm", i)]
        out += [
            TensorSpec(b + "ln1.weight", (E,), "norm", i),
            TensorSpec(b + "ln1.bias", (E,), "norm", i),
            TensorSpec(b + "ffn_up.weight", (E, FF), "vision", i),
            TensorSpec(b + "ffn_up.bias", (FF,), "norm", i),
            TensorSpec(b + "ffn_down.weight", (FF, E), "vision", i),
            TensorSpec(b + "ffn_down.bias", (E,), "norm", i),
            TensorSpec(b + "ln2.weight", (E,), "norm", i),
            TensorSpec(b + "ln2.bias", (E,), "norm", i),
        ]
    out += [
        TensorSpec("mm.0.weight", (E, proj), "vision"),
        TensorSpec("mm.0.bias", (proj,), "norm"),
        TensorSpec("mm.2.weight", (proj, proj), "vision"),
        TensorSpec("mm.2.bias", (proj,), "norm"),
    ]
    return out


def imatrix_tensors(model: Sequence[TensorSpec]) -> list[TensorSpec]:
    """An imatrix GGUF: ``<tensor>.in_sum2`` and ``<tensor>.counts`` per matrix of the model."""
    out: list[TensorSpec] = []
    for spec in model:
        if len(spec.ne) < 2 or spec.role in ("embd", "f32", "router"):
            continue
        n_mat = spec.ne[2] if len(spec.ne) > 2 else 1
        out.append(TensorSpec(spec.name + ".in_sum2", (spec.ne[0], n_mat), "f32"))
        out.append(TensorSpec(spec.name + ".counts", (1, n_mat), "f32"))
    return out


# --- quant label -> tensor types -----------------------------------------------------------

_LABEL_RE = re.compile(
    r"(UD-)?(IQ\d_[A-Z]+|Q\d_K(?:_[A-Z]+)?|Q\d_\d(?:_\d_\d)?|BF16|FP16|FP32|F16|F32|"
    r"MXFP4(?:_MOE)?|TQ\d_0)"
)
_ALIASES = {"Q3_K": "Q3_K_M", "Q4_K": "Q4_K_M", "Q5_K": "Q5_K_M", "FP16": "F16", "FP32": "F32"}


def file_label(path: str) -> str | None:
    """A lenient quant label for the writer (``ggml-model-q4_k.gguf`` -> ``Q4_K_M``)."""
    base = path.rsplit("/", 1)[-1].upper()
    base = re.sub(r"-\d{5}-OF-\d{5}", "", base).removesuffix(".GGUF")
    matches = list(_LABEL_RE.finditer(base))
    if not matches:
        return None
    ud, label = matches[-1].group(1) or "", matches[-1].group(2)
    return ud + _ALIASES.get(label, label)


# general.file_type codes (llama.h llama_ftype; huggingface.js GGMLFileQuantizationType)
FILE_TYPE_CODES = {
    "F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q8_0": 7, "Q5_0": 8, "Q5_1": 9, "Q2_K": 10,
    "Q3_K_S": 11, "Q3_K_M": 12, "Q3_K_L": 13, "Q4_K_S": 14, "Q4_K_M": 15, "Q5_K_S": 16,
    "Q5_K_M": 17, "Q6_K": 18, "IQ2_XXS": 19, "IQ2_XS": 20, "Q2_K_S": 21, "IQ3_XS": 22,
    "IQ3_XXS": 23, "IQ1_S": 24, "IQ4_NL": 25, "IQ3_S": 26, "IQ3_M": 27, "IQ2_S": 28,
    "IQ2_M": 29, "IQ4_XS": 30, "IQ1_M": 31, "BF16": 32, "Q4_0_4_4": 33, "Q4_0_4_8": 34,
    "Q4_0_8_8": 35, "TQ1_0": 36, "TQ2_0": 37, "MXFP4_MOE": 38, "MXFP4": 38,
    "Q2_K_XL": 10, "Q3_K_XL": 12, "Q4_K_XL": 15, "Q5_K_XL": 17, "Q6_K_XL": 18, "Q8_K_XL": 7,
    "Q2_K_L": 10, "Q4_K_L": 15, "Q5_K_L": 17, "Q6_K_L": 18,
}  # fmt: skip


@dataclass(frozen=True)
class Recipe:
    """Which ggml type each tensor role gets."""

    base: T
    hi: T | None = None  # attn_v / ffn_down ("more bits" layers, or all when hi_all)
    hi_all: bool = False
    out: T = T.Q6_K
    embd: T | None = None  # defaults to base
    attn: T | None = None  # defaults to base
    exps: T | None = None  # defaults to base


_RECIPES: dict[str, Recipe] = {
    "F32": Recipe(T.F32, out=T.F32),
    "F16": Recipe(T.F16, out=T.F16),
    "BF16": Recipe(T.BF16, out=T.BF16),
    "Q8_0": Recipe(T.Q8_0, out=T.Q8_0),
    "Q6_K": Recipe(T.Q6_K),
    "Q5_K_M": Recipe(T.Q5_K, T.Q6_K),
    "Q5_K_S": Recipe(T.Q5_K),
    "Q5_0": Recipe(T.Q5_0),
    "Q5_1": Recipe(T.Q5_1),
    "Q4_K_M": Recipe(T.Q4_K, T.Q6_K),
    "Q4_K_S": Recipe(T.Q4_K, T.Q5_K),
    "Q4_0": Recipe(T.Q4_0),
    "Q4_1": Recipe(T.Q4_1),
    "IQ4_XS": Recipe(T.IQ4_XS),
    "IQ4_NL": Recipe(T.IQ4_NL),
    "Q3_K_L": Recipe(T.Q3_K, T.Q5_K, hi_all=True),
    "Q3_K_M": Recipe(T.Q3_K, T.Q4_K),
    "Q3_K_S": Recipe(T.Q3_K),
    "IQ3_M": Recipe(T.IQ3_S, T.Q4_K),
    "IQ3_S": Recipe(T.IQ3_S),
    "IQ3_XS": Recipe(T.IQ3_XXS, T.IQ3_S),
    "IQ3_XXS": Recipe(T.IQ3_XXS),
    "Q2_K": Recipe(T.Q2_K, T.Q3_K, hi_all=True),
    "Q2_K_S": Recipe(T.Q2_K),
    "IQ2_M": Recipe(T.IQ2_S, T.IQ3_S, out=T.Q5_K),
    "IQ2_S": Recipe(T.IQ2_S, out=T.Q5_K),
    "IQ2_XS": Recipe(T.IQ2_XS, out=T.Q5_K),
    "IQ2_XXS": Recipe(T.IQ2_XXS, out=T.Q5_K),
    "IQ1_M": Recipe(T.IQ1_M, T.IQ2_XXS, out=T.Q5_K),
    "IQ1_S": Recipe(T.IQ1_S, out=T.Q5_K),
    "TQ1_0": Recipe(T.TQ1_0),
    "TQ2_0": Recipe(T.TQ2_0),
    "MXFP4_MOE": Recipe(T.Q8_0, out=T.Q8_0, exps=T.MXFP4),
}
_RECIPES["MXFP4"] = _RECIPES["MXFP4_MOE"]
for _arm in ("Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8"):
    _RECIPES[_arm] = _RECIPES["Q4_0"]  # ARM repacks: Q4_0 blocks, repacked at load time


def recipe_for(label: str | None) -> Recipe:
    """The type mix for a quant label (bartowski ``_L`` and unsloth ``UD-…_XL`` included)."""
    if not label:
        return _RECIPES["F16"]
    ud = label.startswith("UD-")
    name = label.removeprefix("UD-")
    if name in _RECIPES and not ud:
        return _RECIPES[name]
    m = re.fullmatch(r"(Q\d_K|Q\d_0)(?:_([A-Z]+))?", name)
    if ud:
        base_name = name.removesuffix("_XL")
        base = _RECIPES.get(base_name) or _RECIPES.get(base_name + "_M") or _RECIPES["Q4_K_M"]
        if base_name == "Q8_K":
            base = _RECIPES["Q8_0"]
        upgraded = T.Q8_0 if base.base in (T.Q6_K, T.Q8_0) else T.Q4_K
        if base.base in (T.Q4_K, T.Q5_K):
            upgraded = T.Q6_K
        return Recipe(base.base, T.Q6_K if base.base != T.Q8_0 else T.Q8_0, True, base.out,
                      embd=T.Q6_K if base.base != T.Q8_0 else T.Q8_0, attn=upgraded)  # fmt: skip
    if m and m.group(2) in ("L", "XL"):  # bartowski: embed/output weights at Q8_0
        base_name = m.group(1) + ("_L" if m.group(2) == "XL" else "")
        base = _RECIPES.get(base_name) or _RECIPES.get(m.group(1) + "_M") or _RECIPES["Q4_K_M"]
        return Recipe(base.base, base.hi, base.hi_all, T.Q8_0, embd=T.Q8_0)
    return _RECIPES.get(name, _RECIPES["Q4_K_M"])


def _more_bits(i: int, n: int) -> bool:
    """llama-quantize's ``use_more_bits``: first and last eighth, and every third layer."""
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


def _fits(ne0: int, qtype: T) -> bool:
    return ne0 % GGML_QUANT_SIZES[qtype][0] == 0


def _fallback(ne0: int, qtype: T) -> T:
    if _fits(ne0, qtype):
        return qtype
    for alt in {T.Q4_K: (T.Q5_0,), T.Q5_K: (T.Q5_1,), T.Q6_K: (T.Q8_0,)}.get(qtype, (T.IQ4_NL,)):
        if _fits(ne0, alt):
            return alt
    return T.Q8_0 if _fits(ne0, T.Q8_0) else T.F16


def tensor_type(spec: TensorSpec, recipe: Recipe, n_layer: int) -> T:
    """The ggml type of one tensor under a recipe (1-D tensors stay F32)."""
    if len(spec.ne) == 1 or spec.role in ("norm", "f32", "router"):
        return T.F32
    if recipe.base in (T.F32, T.F16, T.BF16):
        return recipe.base
    if spec.role == "vision":
        return T.F16
    role = spec.role
    if role == "embd":
        qtype = recipe.embd or recipe.base
    elif role == "output":
        qtype = recipe.out
    elif (
        role in ("attn_v", "ffn_down", "exps_down")
        and recipe.hi is not None
        and (recipe.hi_all or _more_bits(max(spec.layer, 0), n_layer))
    ):
        qtype = recipe.hi if role != "exps_down" else (recipe.exps or recipe.hi)
    elif role == "attn" and recipe.attn is not None:
        qtype = recipe.attn
    elif role in ("exps", "exps_down"):
        qtype = recipe.exps or recipe.base
    else:
        qtype = recipe.base
    return _fallback(spec.ne[0], qtype)


def tensor_nbytes(ne: Sequence[int], qtype: T) -> int:
    """Bytes of a tensor's data (``ne[0]`` must be a multiple of the block size)."""
    block, type_size = GGML_QUANT_SIZES[qtype]
    return prod(ne) // block * type_size

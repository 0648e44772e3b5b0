"""Explore, pull and chat with Hugging Face GGUF models through Ollama, from a notebook.

>>> import hfollama_widgets as hfw
>>> hfw.model_ref("bartowski/Llama-3.2-1B-Instruct-GGUF", "q4_k_m")
'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'

Layers, one way (docs/architecture.md; enforced by import-linter): pure logic (``refs``,
``quants``, ``listing``, ``selection``, ``hardware``, ``progress``, ``gguf``) → clients (``hub``,
``ollama``) → ``terminal`` → ``hf`` → ``widgets`` → ``demo`` → ``cli``. This module only
re-exports; the widgets load lazily, so ``import hfollama_widgets`` never imports anywidget.
"""

from __future__ import annotations

from hfollama_widgets._version import __version__
from hfollama_widgets.errors import *  # noqa: F403
from hfollama_widgets.errors import __all__ as _errors_all

# Each area adds its exports in its own block below (keeps edits from colliding).
__all__: list[str] = [*_errors_all, "__version__"]

# --- refs / quants / listing (pure) ---
from hfollama_widgets.listing import (
    DEFAULT_PREFERENCE,
    best_quantization,
    candidates,
    gguf_dataframe,
    select_row,
    to_records,
)
from hfollama_widgets.quants import (
    QUANT_TYPES,
    QuantType,
    canonical_label,
    file_kind,
    hub_quant_label,
    is_gguf,
    parse_quant_label,
    parse_shard,
    quant_info,
)
from hfollama_widgets.refs import (
    ModelRef,
    is_hf_model,
    model_ref,
    normalize_tag,
    parse_model_ref,
    to_model_ref,
    validate_repo_id,
)

__all__ += [
    "DEFAULT_PREFERENCE",
    "QUANT_TYPES",
    "ModelRef",
    "QuantType",
    "best_quantization",
    "candidates",
    "canonical_label",
    "file_kind",
    "gguf_dataframe",
    "hub_quant_label",
    "is_gguf",
    "is_hf_model",
    "model_ref",
    "normalize_tag",
    "parse_model_ref",
    "parse_quant_label",
    "parse_shard",
    "quant_info",
    "select_row",
    "to_model_ref",
    "to_records",
    "validate_repo_id",
]
# --- hub ---
from hfollama_widgets.hub import (  # noqa: E402
    Hub,
    RepoInfo,
    auto_select,
    clear_gguf_cache,
    default_hub,
    estimate_memory,
    gguf_metadata,
    list_gguf_files,
    list_gguf_files_many,
    model_info,
    read_gguf_header,
    scan,
    search_models,
    set_default_hub,
)

__all__ += [
    "Hub",
    "RepoInfo",
    "auto_select",
    "default_hub",
    "list_gguf_files",
    "list_gguf_files_many",
    "model_info",
    "scan",
    "search_models",
    "set_default_hub",
]
# --- ollama client + HF convenience ---
from hfollama_widgets.hf import (  # noqa: E402
    achat,
    aembed,
    agenerate,
    apull,
    chat,
    embed,
    generate,
)
from hfollama_widgets.ollama import (  # noqa: E402
    AsyncClient,
    AsyncStream,
    Client,
    Stream,
    parse_host,
)

__all__ += [
    "AsyncClient",
    "AsyncStream",
    "Client",
    "Stream",
    "achat",
    "aembed",
    "agenerate",
    "apull",
    "chat",
    "embed",
    "generate",
    "parse_host",
    "pull",
]
# --- gguf metadata / memory / hardware ---
from hfollama_widgets.gguf import (  # noqa: E402
    FIT_TEXT,
    GGUFMetadata,
    add_fit_columns,
    effective_bits_per_weight,
    fit_label,
    select_fitting,
)
from hfollama_widgets.hardware import GPU, Hardware, detect_hardware  # noqa: E402

__all__ += [
    "FIT_TEXT",
    "GPU",
    "GGUFMetadata",
    "Hardware",
    "add_fit_columns",
    "clear_gguf_cache",
    "detect_hardware",
    "effective_bits_per_weight",
    "estimate_memory",
    "fit_label",
    "gguf_metadata",
    "read_gguf_header",
    "select_fitting",
]
# --- progress ---
from hfollama_widgets.progress import PullTracker  # noqa: E402

# `pull` whose progress=True shows a widget in a notebook; importing it loads no widget library
from hfollama_widgets.widgets.display import pull  # noqa: E402

__all__ += ["PullTracker"]

# --- widgets ---
# Imported lazily (module __getattr__): importing the package never pulls in anywidget, and a broken
# widget module cannot break `import hfollama_widgets`.
import typing as _typing  # noqa: E402

_LAZY_WIDGETS = {
    "GGUFBrowser": "hfollama_widgets.widgets.browser",
    "PullProgress": "hfollama_widgets.widgets.pull_progress",
    "ChatWidget": "hfollama_widgets.widgets.chat",
    "pull_with_progress": "hfollama_widgets.widgets.display",
}
__all__ += list(_LAZY_WIDGETS)

if _typing.TYPE_CHECKING:
    from hfollama_widgets.widgets import ChatWidget as ChatWidget
    from hfollama_widgets.widgets import GGUFBrowser as GGUFBrowser
    from hfollama_widgets.widgets import PullProgress as PullProgress
    from hfollama_widgets.widgets.display import pull_with_progress as pull_with_progress


def __getattr__(name: str) -> object:
    module = _LAZY_WIDGETS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib  # lazy widget loading: only when a widget name is first used

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

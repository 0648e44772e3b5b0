"""Explore, pull and chat with Hugging Face GGUF models through Ollama, from a notebook.

>>> import hfollama_widgets as hfw
>>> hfw.model_ref("bartowski/Llama-3.2-1B-Instruct-GGUF", "q4_k_m")
'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'

Layers, one way: pure logic (``refs``, ``quants``, ``listing``, ``memory``) → clients
(``hub``, ``ollama``) → widgets (``widgets``) → CLI and notebooks.
"""

from __future__ import annotations

from hfollama_widgets.errors import *  # noqa: F403
from hfollama_widgets.errors import __all__ as _errors_all

__version__ = "0.1.0"

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
    default_hub,
    list_gguf_files,
    model_info,
    search_models,
    set_default_hub,
)

__all__ += [
    "Hub",
    "RepoInfo",
    "auto_select",
    "default_hub",
    "list_gguf_files",
    "model_info",
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
    pull,
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
from hfollama_widgets.gguf_meta import (  # noqa: E402
    GGUFMetadata,
    clear_gguf_cache,
    gguf_metadata,
    read_gguf_header,
)
from hfollama_widgets.hardware import GPU, Hardware, detect_hardware  # noqa: E402
from hfollama_widgets.memory import (  # noqa: E402
    FIT_TEXT,
    add_fit_columns,
    effective_bits_per_weight,
    estimate_memory,
    fit_label,
    select_fitting,
)

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
# --- widgets ---
# Imported lazily (module __getattr__): importing the package never pulls in anywidget, and a broken
# widget module cannot break `import hfollama_widgets`.
import typing as _typing  # noqa: E402

from hfollama_widgets.progress import PullTracker  # noqa: E402
from hfollama_widgets.pull_display import pull_with_progress  # noqa: E402

__all__ += ["PullTracker", "pull_with_progress"]
_LAZY_WIDGETS = {
    "GGUFBrowser": "hfollama_widgets.widgets.browser",
    "PullProgress": "hfollama_widgets.widgets.pull_progress",
    "ChatWidget": "hfollama_widgets.widgets.chat",
}
__all__ += list(_LAZY_WIDGETS)

if _typing.TYPE_CHECKING:
    from hfollama_widgets.widgets import ChatWidget as ChatWidget
    from hfollama_widgets.widgets import GGUFBrowser as GGUFBrowser
    from hfollama_widgets.widgets import PullProgress as PullProgress


def __getattr__(name: str) -> object:
    module = _LAZY_WIDGETS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

"""The public API: every name users import, and the module paths the docs name.

The layout moves (issue 8) must not break any of them: this file lists them by hand, so a
name that disappears, or a new one that appears in ``__all__`` without a decision, fails here.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
import sys

import pytest

import hfollama_widgets as hfw

#: ``hfollama_widgets.__all__``: the 0.1.0 names, plus InvalidArgumentError(TypeError),
#: remember_secret, HubServerError and NotOllamaError (issue 9).
PUBLIC_NAMES = [
    "AsyncClient",
    "AsyncStream",
    "ChatBusyError",
    "ChatWidget",
    "Client",
    "DEFAULT_PREFERENCE",
    "EntryNotFoundError",
    "FIT_TEXT",
    "GGUFBrowser",
    "GGUFMetadata",
    "GGUFParseError",
    "GPU",
    "GatedRepoError",
    "HFOllamaError",
    "Hardware",
    "Hub",
    "HubError",
    "HubServerError",
    "HubUnreachableError",
    "IncompletePullError",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "InvalidModelRefError",
    "InvalidTokenError",
    "ManifestNotFoundError",
    "ModelNotFoundError",
    "ModelRef",
    "NoGGUFFilesError",
    "NotGGUFRepoError",
    "NotOllamaError",
    "NoQuantFitsError",
    "OllamaConnectionError",
    "OllamaError",
    "OllamaProtocolError",
    "OllamaResponseError",
    "OllamaServerError",
    "OllamaTimeoutError",
    "PrivateRepoAuthError",
    "PullError",
    "PullProgress",
    "PullTracker",
    "QUANT_TYPES",
    "QuantType",
    "QuantizationNotFoundError",
    "RateLimitedError",
    "RepoInfo",
    "RepoNotFoundError",
    "RevisionNotFoundError",
    "SelectionError",
    "ShardedGGUFError",
    "SplitOnlyError",
    "Stream",
    "StreamError",
    "UnknownTagError",
    "__version__",
    "achat",
    "add_fit_columns",
    "aembed",
    "agenerate",
    "apull",
    "auto_select",
    "best_quantization",
    "candidates",
    "canonical_label",
    "chat",
    "clear_gguf_cache",
    "default_hub",
    "detect_hardware",
    "effective_bits_per_weight",
    "embed",
    "estimate_memory",
    "file_kind",
    "fit_label",
    "generate",
    "gguf_dataframe",
    "gguf_metadata",
    "hub_quant_label",
    "is_gguf",
    "is_hf_model",
    "list_gguf_files",
    "list_gguf_files_many",
    "model_info",
    "model_ref",
    "normalize_tag",
    "parse_host",
    "parse_model_ref",
    "parse_quant_label",
    "parse_shard",
    "pull",
    "pull_with_progress",
    "quant_info",
    "read_gguf_header",
    "redact",
    "remember_secret",
    "scan",
    "search_models",
    "select_fitting",
    "select_row",
    "set_default_hub",
    "to_model_ref",
    "to_records",
    "validate_repo_id",
]

#: Names the widgets add lazily (importing the package does not import anywidget).
LAZY_NAMES = ["ChatWidget", "GGUFBrowser", "PullProgress", "pull_with_progress"]

#: Module paths the README, the notebooks and docs/ name, and what each must provide.
DOCUMENTED_PATHS = {
    "hfollama_widgets.testing": ["FakeHub", "FakeOllama"],
    "hfollama_widgets.demo": ["connect", "plan_demo", "Services"],
    "hfollama_widgets.cli": ["cli", "main"],
    "hfollama_widgets.widgets": ["ChatWidget", "GGUFBrowser", "PullProgress"],
    "hfollama_widgets.widgets.browser": ["GGUFBrowser"],
    "hfollama_widgets.widgets.chat": ["ChatWidget"],
    "hfollama_widgets.widgets.pull_progress": ["PullProgress"],
    "hfollama_widgets.hub": ["Hub", "RepoInfo", "list_gguf_files", "gguf_metadata"],
    "hfollama_widgets.ollama": ["Client", "AsyncClient", "Stream", "AsyncStream"],
    "hfollama_widgets.hf": ["pull", "chat", "generate", "embed", "apull", "achat"],
    "hfollama_widgets.gguf": ["GGUFMetadata", "estimate_memory", "add_fit_columns"],
}


def test_all_is_exactly_the_released_names() -> None:
    assert sorted(hfw.__all__) == sorted(PUBLIC_NAMES)
    assert len(set(hfw.__all__)) == len(hfw.__all__), "a name is exported twice"


@pytest.mark.parametrize("name", PUBLIC_NAMES)
def test_every_public_name_imports(name: str) -> None:
    value = getattr(hfw, name)
    assert value is not None
    exec(f"from hfollama_widgets import {name}", {})


@pytest.mark.parametrize(("module", "names"), sorted(DOCUMENTED_PATHS.items()))
def test_documented_module_paths(module: str, names: list[str]) -> None:
    mod = importlib.import_module(module)
    for name in names:
        assert getattr(mod, name) is not None, f"{module}.{name}"


def test_root_names_are_the_parts_objects() -> None:
    """The face re-exports; it defines nothing itself (same objects as the parts)."""
    from hfollama_widgets.demo import connect
    from hfollama_widgets.hub import Hub
    from hfollama_widgets.ollama import Client
    from hfollama_widgets.widgets import GGUFBrowser

    assert (hfw.Hub, hfw.Client, hfw.GGUFBrowser) == (Hub, Client, GGUFBrowser)
    assert connect.__module__ == "hfollama_widgets.demo.services"


def test_console_script_points_at_cli_main() -> None:
    scripts = importlib.metadata.entry_points(group="console_scripts")
    (entry,) = [e for e in scripts if e.name == "hfollama"]
    assert entry.value == "hfollama_widgets.cli:main"
    from hfollama_widgets.cli import main

    assert entry.load() is main


def test_importing_the_package_loads_no_widget_library() -> None:
    code = (
        "import sys, hfollama_widgets as hfw; hfw.pull; hfw.Hub; hfw.Client; "
        "print(sorted(m for m in ('anywidget', 'ipywidgets', 'traitlets') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", LAZY_NAMES)
def test_lazy_widget_names_resolve(name: str) -> None:
    assert name in hfw.__all__
    assert callable(getattr(hfw, name))

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
# --- hub ---
# --- ollama client + HF convenience ---
# --- gguf metadata / memory / hardware ---
# --- widgets ---

"""Pull with the right progress display: a widget in a Jupyter kernel, a tqdm bar elsewhere.

:func:`pull` is ``hfw.pull``: :func:`hfollama_widgets.hf.pull` whose ``progress=True`` shows a
:class:`PullProgress` in a notebook. Example (against the real Hub and Ollama)::

    hfw.pull(client, "bartowski/Llama-3.2-1B-Instruct-GGUF", progress=True)
    # notebook: a PullProgress widget is displayed and returned (the cell returns at once)
    # terminal: a progress bar, then {'status': 'success'} (errors are raised)
"""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any

from hfollama_widgets import hf
from hfollama_widgets.hf import resolve_ref
from hfollama_widgets.ollama import Client
from hfollama_widgets.terminal import pull_with_bar

if TYPE_CHECKING:
    from hfollama_widgets.hub import Hub
    from hfollama_widgets.widgets.pull_progress import PullProgress

__all__ = ["in_jupyter_kernel", "pull", "pull_with_progress"]


def in_jupyter_kernel() -> bool:
    """True inside a running Jupyter (ipykernel) kernel, where widgets can be displayed.

    >>> in_jupyter_kernel()  # a plain Python process
    False
    """
    if "ipykernel" not in sys.modules or "IPython" not in sys.modules:
        return False
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython was importable a moment ago
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def pull_with_progress(
    client: Client,
    model: str,
    *,
    file: IO[str] | None = None,
    widget: bool | None = None,
) -> PullProgress | dict[str, Any]:
    """Pull ``model`` and show progress where the code runs.

    In a Jupyter kernel (or with ``widget=True``) a :class:`PullProgress` is displayed and
    returned at once (call ``.wait()`` on it to block). Otherwise a terminal bar is drawn on
    ``file`` (stderr by default) and the final status dict is returned; errors are raised.

    >>> import hfollama_widgets as hfw
    >>> from hfollama_widgets.testing import FakeHub, FakeOllama
    >>> import io
    >>> with FakeHub() as hub, FakeOllama(hub=hub) as ollama:
    ...     pull_with_progress(hfw.Client(ollama.url), "hf.co/unsloth/Qwen3-4B-GGUF:Q4_K_M",
    ...                        file=io.StringIO())
    {'status': 'success'}
    """
    use_widget = in_jupyter_kernel() if widget is None else widget
    if use_widget:
        # lazy widget loading: anywidget and IPython load only when a widget is shown
        from IPython.display import display

        from hfollama_widgets.widgets.pull_progress import PullProgress

        progress = PullProgress(client, model)
        display(progress)
        return progress
    return pull_with_bar(client, model, file=file)


def pull(
    client: Client,
    repo: str,
    *,
    quantization: str | None = None,
    stream: bool = False,
    progress: bool = False,
    hub: Hub | None = None,
    insecure: bool = False,
    max_size_gb: float | None = None,
) -> Any:
    """``hfw.pull``: :func:`hfollama_widgets.hf.pull`, where ``progress=True`` shows progress
    where the code runs (:func:`pull_with_progress`: a widget in a notebook, which is
    returned; a terminal bar elsewhere, returning the final dict).

    >>> import hfollama_widgets as hfw
    >>> from hfollama_widgets.testing import FakeHub, FakeOllama
    >>> with FakeHub() as server, FakeOllama(hub=server) as ollama:
    ...     pull(hfw.Client(ollama.url), "unsloth/Qwen3-4B-GGUF", quantization="Q4_K_M",
    ...          hub=hfw.Hub(server.url))
    {'status': 'success'}
    """
    if progress and in_jupyter_kernel():
        ref = resolve_ref(repo, quantization, hub=hub, max_size_gb=max_size_gb)
        return pull_with_progress(client, ref, widget=True)
    return hf.pull(
        client, repo, quantization=quantization, stream=stream, progress=progress, hub=hub,
        insecure=insecure, max_size_gb=max_size_gb,
    )  # fmt: skip

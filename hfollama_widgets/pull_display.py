"""Pull with the right progress display: a widget in a Jupyter kernel, a tqdm bar elsewhere.

>>> import hfollama_widgets as hfw
>>> # hfw.pull_with_progress(hfw.Client(), "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M")
>>> # notebook: a PullProgress widget is displayed and returned (the cell returns at once)
>>> # terminal: a progress bar, then {'status': 'success'} (errors are raised)
"""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hfollama_widgets.ollama import Client
    from hfollama_widgets.widgets.pull_progress import PullProgress

__all__ = ["in_jupyter_kernel", "pull_with_progress"]


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
        from IPython.display import display

        from hfollama_widgets.widgets.pull_progress import PullProgress

        progress = PullProgress(client, model)
        display(progress)
        return progress
    from hfollama_widgets.terminal import pull_with_bar

    return pull_with_bar(client, model, file=file)

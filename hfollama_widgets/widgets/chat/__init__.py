"""The ChatWidget and its parts.

- :mod:`~.widget`: :class:`ChatWidget` (traits, front-end messages, send/stop/retry);
- :mod:`~.stream`: one reply streamed off the kernel thread, batched to the page;
- :mod:`~.history`: the message list and its entries;
- :mod:`~.protocol`: the messages a ChatWidget and its views exchange.
"""

from __future__ import annotations

from hfollama_widgets.widgets.chat.widget import ChatWidget

__all__ = ["ChatWidget"]

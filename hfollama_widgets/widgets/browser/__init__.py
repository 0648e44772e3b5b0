"""The GGUFBrowser and its parts.

- :mod:`~.widget`: :class:`GGUFBrowser` (traits, front-end messages);
- :mod:`~.loading`: listing a repo off the kernel thread, with the fit columns;
- :mod:`~.table`: listing rows -> the synced table; :mod:`~.fit`: the context control;
- :mod:`~.actions`: the Pull / Chat buttons; :mod:`~.frames`: the text repr.
"""

from __future__ import annotations

from hfollama_widgets.widgets.browser.widget import GGUFBrowser

__all__ = ["GGUFBrowser"]

"""The ``hfollama`` command line (click): ``hfollama_widgets.cli:main`` is the console script.

- :mod:`~hfollama_widgets.cli.main`: the group and its commands;
- :mod:`~hfollama_widgets.cli.common`: services, output formats, error exits;
- :mod:`~hfollama_widgets.cli.tables`, :mod:`~hfollama_widgets.cli.info`,
  :mod:`~hfollama_widgets.cli.chat`: ``ls``/``search`` tables, ``info``, the chat REPL.
"""

from __future__ import annotations

from hfollama_widgets.cli.main import cli, main

__all__ = ["cli", "main"]

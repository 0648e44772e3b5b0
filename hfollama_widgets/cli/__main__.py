"""``python -m hfollama_widgets.cli``: the same as the ``hfollama`` console script."""

from hfollama_widgets.cli.main import main

if __name__ == "__main__":
    main()

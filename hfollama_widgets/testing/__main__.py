"""``python -m hfollama_widgets.testing``: run the FakeHub and a FakeOllama pulling from it.

Same as ``hfollama fake-servers``: prints both URLs and the variables to export, then serves
until Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hfollama_widgets.testing.stand_ins import DEMO_PULL_SPEED, StandInPortError, serve_stand_ins


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options and serve until interrupted."""

    parser = argparse.ArgumentParser(
        prog="python -m hfollama_widgets.testing",
        description="Run the local Hub and Ollama stand-ins on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--hub-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--ollama-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--pull-speed", type=float, default=DEMO_PULL_SPEED, help="simulated bytes/s"
    )
    parser.add_argument("--token-rate", type=float, default=60.0, help="reply tokens/s")
    args = parser.parse_args(argv)
    try:
        serve_stand_ins(
            hub_port=args.hub_port,
            ollama_port=args.ollama_port,
            pull_speed=args.pull_speed,
            token_rate=args.token_rate,
            say=lambda line: print(line, flush=True),
        )
    except StandInPortError as exc:  # a busy port: two lines, no traceback
        print(f"error: {exc.message}", file=sys.stderr)
        print(f"  fix: {exc.fix}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Run the simulator: ``python -m tools.sandbox [--host 127.0.0.1] [--port 8765]``."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from aiohttp import web

from . import create_app
from .control import describe
from .persist import SandboxStore
from .state import ENEDIS_PUBLICATION_HOUR, SandboxConfig, SandboxState


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tools.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--enedis-redirect-url",
        help="where the consent page sends the customer when no redirect_uri is given",
    )
    parser.add_argument(
        "--red-in-hours", type=int, default=2, help="start of the red Ecowatt run, from now"
    )
    parser.add_argument(
        "--enedis-publication-hour",
        type=int,
        choices=range(24),
        default=ENEDIS_PUBLICATION_HOUR,
        metavar="HOUR",
        help="hour (Paris) from which yesterday's Linky data are served (default 8, as Enedis; "
        "0: each day as soon as it ends, what script/develop's demo uses)",
    )
    parser.add_argument(
        "--state",
        help="JSON file that keeps the red run set through /_control and the consents across "
        "restarts (none: forgotten at exit)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s sandbox %(message)s")
    state = SandboxState(
        SandboxConfig(
            enedis_redirect_url=args.enedis_redirect_url,
            enedis_publication_hour=args.enedis_publication_hour,
        )
    )
    state.red_start = state.default_red_start(args.red_in_hours)
    app = create_app(state)
    if args.state:
        store = SandboxStore(Path(args.state))
        store.load(state)
        store.attach(state)
    origin = f"http://{args.host}:{args.port}"
    print(json.dumps(describe(state, origin)["base_urls"], indent=2), flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()

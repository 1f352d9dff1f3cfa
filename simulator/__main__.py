"""Run the simulated WeChat API for development: python -m simulator --port 8800."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from werkzeug.serving import make_server

from simulator.api import create_api_app
from simulator.state import SimulatorState


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8800)
    parser.add_argument(
        "--app", action="append", default=[], metavar="APPID:SECRET", help="register an account (repeatable)"
    )
    parser.add_argument(
        "--no-auto-register", action="store_true", help="refuse token requests from unregistered appids"
    )
    return parser.parse_args(argv)


def build_state(args: argparse.Namespace) -> SimulatorState:
    """Build the simulator state the command line asks for."""
    state = SimulatorState(auto_register=not args.no_auto_register)
    for pair in args.app:
        appid, sep, secret = pair.partition(":")
        if not sep:
            raise SystemExit(f"--app expects APPID:SECRET, got {pair!r}")
        state.register_app(appid, secret)
    return state


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the simulated WeChat API until interrupted."""
    args = parse_args(argv)
    server = make_server(args.host, args.port, create_api_app(build_state(args)), threaded=True)
    print(f"WeChat API simulator on http://{args.host}:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

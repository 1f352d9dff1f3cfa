"""Run the simulated WeChat API for development: python -m simulator --port 8800.

`python -m simulator customer --help`: be one of an account's customers from the shell (simulator/shell.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from werkzeug.serving import make_server

from simulator import shell
from simulator.api import create_api_app
from simulator.state import SimulatorState

EPILOG = """\
Point the project's https://api.weixin.qq.com/ and https://open.weixin.qq.com/ at this server.
To open an account's H5 pages as a member in a desktop browser, visit /_sim/login?openid=OPENID&next=URL
first: it sets the sim_openid cookie that tells WeChat's web OAuth who is browsing.
Customers from the shell: python -m simulator customer --help.
Control API: /_sim/apps, /_sim/calls, /_sim/faults, /_sim/expire-tokens, /_sim/reset, /_sim/menus/APPID,
/_sim/users, /_sim/templates, /_sim/template-messages, /_sim/qrcodes, /_sim/expire-qrcodes, /_sim/media,
/_sim/media/MEDIA_ID, /_sim/expire-media, /_sim/interactions, /_sim/custom-messages, /_sim/limits.
Mass sends: /_sim/webhooks (where MASSSENDJOBFINISH goes), /_sim/mass-sends, /_sim/mass-sends/MSG_ID/replay,
/_sim/mass-settings, /_sim/mass-failures.
"""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8800)
    parser.add_argument(
        "--app", action="append", default=[], metavar="APPID:SECRET", help="register an account (repeatable)"
    )
    parser.add_argument(
        "--no-auto-register", action="store_true", help="refuse token requests from unregistered appids"
    )
    parser.add_argument(
        "--template",
        action="append",
        default=[],
        metavar="APPID:TEMPLATE_ID",
        help="register a template id for an account (repeatable)",
    )
    parser.add_argument(
        "--no-auto-templates", action="store_true", help="accept only registered template ids"
    )
    return parser.parse_args(argv)


def build_state(args: argparse.Namespace) -> SimulatorState:
    """Build the simulator state the command line asks for."""
    state = SimulatorState(auto_register=not args.no_auto_register, auto_templates=not args.no_auto_templates)
    for appid, secret in _pairs("--app", "APPID:SECRET", args.app):
        state.register_app(appid, secret)
    for appid, template_id in _pairs("--template", "APPID:TEMPLATE_ID", args.template):
        state.add_template(appid, template_id)
    return state


def _pairs(option: str, form: str, values: Sequence[str]) -> list[tuple[str, str]]:
    """Split APPID:VALUE option values."""
    pairs = []
    for value in values:
        appid, sep, rest = value.partition(":")
        if not sep:
            raise SystemExit(f"{option} expects {form}, got {value!r}")
        pairs.append((appid, rest))
    return pairs


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the simulated WeChat API until interrupted (or play a customer: `customer …`)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["customer"]:
        raise SystemExit(shell.main(argv[1:]))
    args = parse_args(argv)
    server = make_server(args.host, args.port, create_api_app(build_state(args)), threaded=True)
    print(f"WeChat API simulator on http://{args.host}:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

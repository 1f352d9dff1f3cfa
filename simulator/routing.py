"""The `api_endpoint` decorator: fault injection, token check and call log around every API route.

Handlers answer a JSON payload, or a `Page` (a redirect or HTML) for the pages a member's browser visits.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, request

from simulator.errors import ApiError
from simulator.media import Upload
from simulator.pages import Page, error_page
from simulator.records import Call, Fault
from simulator.state import SimulatorState

EXTENSION_KEY = "wechat_sim"

Payload = dict[str, Any]


@dataclass(frozen=True)
class ApiRequest:
    """What a handler sees of one API call."""

    state: SimulatorState
    query: dict[str, str]
    body: Any = None
    body_error: int | None = None
    appid: str | None = None
    cookies: dict[str, str] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    @property
    def account(self) -> str:
        """Return the appid owning the call's access token."""
        if self.appid is None:
            raise RuntimeError("endpoint registered with needs_token=False has no account")
        return self.appid

    def arg(self, name: str) -> str:
        """Return a query parameter, empty when absent."""
        return self.query.get(name, "")

    def json(self) -> Any:
        """Return the JSON body, or raise 44002/47001 like WeChat when it is empty or malformed."""
        if self.body_error is not None:
            raise ApiError(self.body_error)
        return self.body


Handler = Callable[[ApiRequest], Payload | Page]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class Endpoint:
    """A registered WeChat API route."""

    path: str
    methods: tuple[str, ...]
    handler: Handler
    needs_token: bool
    page: bool = False


_REGISTRY: dict[str, Endpoint] = {}


def api_endpoint(
    path: str, methods: Iterable[str] = ("GET",), *, needs_token: bool = True, page: bool = False
) -> Callable[[H], H]:
    """Register a handler answering WeChat API calls to `path`.

    With `page=True` the path is one a browser visits: errors (faults included) answer an HTML error page.
    """

    def register(handler: H) -> H:
        _REGISTRY[path] = Endpoint(path, tuple(m.upper() for m in methods), handler, needs_token, page)
        return handler

    return register


def build_blueprint() -> Blueprint:
    """Build a blueprint with a route for every registered endpoint."""
    blueprint = Blueprint("wechat_api", __name__)
    for endpoint in _REGISTRY.values():
        blueprint.add_url_rule(
            endpoint.path,
            endpoint=endpoint.path.strip("/").replace("/", "_"),
            view_func=_view_for(endpoint),
            methods=["GET", "POST"],
        )
    return blueprint


def current_state() -> SimulatorState:
    """Return the state of the running simulator app."""
    return current_app.extensions[EXTENSION_KEY]


def json_response(payload: Any, status: int = 200) -> Response:
    """Answer JSON the way WeChat does (UTF-8, no ASCII escaping)."""
    text = json.dumps(payload, ensure_ascii=False)
    return Response(text, status=status, content_type="application/json; charset=utf-8")


def parse_body(raw: bytes) -> tuple[Any, int | None]:
    """Parse a JSON body regardless of content type; return it with WeChat's errcode when unusable."""
    if not raw.strip():
        return None, 44002
    try:
        return json.loads(raw.decode("utf-8")), None
    except (UnicodeDecodeError, ValueError):
        return None, 47001


def _view_for(endpoint: Endpoint) -> Callable[[], Response]:
    """Wrap an endpoint's handler into a Flask view."""

    def view() -> Response:
        return _dispatch(endpoint)

    return view


def _dispatch(endpoint: Endpoint) -> Response:
    """Answer one call: fault, method check, token check, handler, call log."""
    state = current_state()
    body, body_error = parse_body(request.get_data())
    files = {name: Upload(f.filename or "", f.mimetype, f.read()) for name, f in request.files.items()}
    req = ApiRequest(
        state, request.args.to_dict(), body, body_error, cookies=request.cookies.to_dict(), files=files
    )
    result: Payload | Page
    try:
        _apply_fault(state.take_fault(endpoint.path))
        if request.method not in endpoint.methods:
            raise ApiError(43002 if "POST" in endpoint.methods else 43001)
        if endpoint.needs_token:
            req = replace(req, appid=state.token_owner(req.query.get("access_token")))
        result = endpoint.handler(req)
    except ApiError as exc:
        result = error_page(exc) if endpoint.page else exc.body()
    appid = req.appid if endpoint.needs_token else req.query.get("appid")
    if isinstance(result, Page):
        errcode, response = result.errcode, result.response
    else:
        errcode, response = int(result.get("errcode", 0)), json_response(result)
    state.record(Call(request.method, endpoint.path, req.query, req.body, errcode, appid=appid))
    return response


def _apply_fault(fault: Fault | None) -> None:
    """Sleep and/or fail as an injected fault says."""
    if fault is None:
        return
    if fault.delay:
        time.sleep(fault.delay)
    if fault.errcode is not None:
        raise ApiError(fault.errcode)

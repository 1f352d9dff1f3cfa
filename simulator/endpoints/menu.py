"""Custom menu endpoints: create, get and delete."""

from __future__ import annotations

from simulator.errors import ApiError, ok
from simulator.menu_rules import validate_menu
from simulator.routing import ApiRequest, Payload, api_endpoint


@api_endpoint("/cgi-bin/menu/create", methods=["POST"])
def menu_create(req: ApiRequest) -> Payload:
    """Validate and store the account's menu."""
    req.state.set_menu(req.account, validate_menu(req.json()))
    return ok()


@api_endpoint("/cgi-bin/menu/get")
def menu_get(req: ApiRequest) -> Payload:
    """Answer the account's menu, or 46003 when it has none."""
    menu = req.state.menu(req.account)
    if menu is None:
        raise ApiError(46003)
    return {"menu": menu}


@api_endpoint("/cgi-bin/menu/delete")
def menu_delete(req: ApiRequest) -> Payload:
    """Delete the account's menu."""
    req.state.delete_menu(req.account)
    return ok()

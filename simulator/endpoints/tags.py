"""User tags: /cgi-bin/tags/* (create, get, update, delete, batch (un)tagging, a follower's tag ids)
and /cgi-bin/user/tag/get (a tag's followers, a page at a time)."""

from __future__ import annotations

from typing import Any

from simulator.errors import ApiError, ok
from simulator.routing import ApiRequest, Payload, api_endpoint
from simulator.tags import BATCH_MAX, refuse
from simulator.users import is_valid_openid


def _object(value: Any) -> dict[str, Any]:
    """A JSON object, or 47001 like WeChat for anything else."""
    if not isinstance(value, dict):
        raise ApiError(47001)
    return value


def _tag(req: ApiRequest) -> dict[str, Any]:
    """The body's "tag" object."""
    return _object(_object(req.json()).get("tag"))


def _follower(req: ApiRequest, openid: Any) -> str:
    """An openid of someone following the account; 40003 otherwise (never met, unfollowed, malformed)."""
    if not is_valid_openid(openid) or not req.state.follows(req.account, openid):
        raise ApiError(40003)
    return openid


def _batch(req: ApiRequest) -> tuple[Any, list[str]]:
    """A batch (un)tagging body: 40032 for an empty list or more than 50, 45159 for an unknown tag,
    40003 when any openid is not a follower's. Nothing is changed unless every openid is good."""
    body = _object(req.json())
    openids = body.get("openid_list")
    if not isinstance(openids, list):
        raise ApiError(47001)
    if not 1 <= len(openids) <= BATCH_MAX:
        raise refuse(40032)
    tag_id = body.get("tagid")
    if tag_id not in {t["id"] for t in req.state.tags.listed(req.account)}:
        raise refuse(45159)
    return tag_id, [_follower(req, openid) for openid in openids]


@api_endpoint("/cgi-bin/tags/create", methods=["POST"])
def tags_create(req: ApiRequest) -> Payload:
    """Create a tag and answer it with its new id."""
    tag = req.state.tags.create(req.account, _tag(req).get("name"))
    return {"tag": {"id": tag.id, "name": tag.name}}


@api_endpoint("/cgi-bin/tags/get")
def tags_get(req: ApiRequest) -> Payload:
    """Every tag of the account with its follower count."""
    return {"tags": req.state.tags.listed(req.account)}


@api_endpoint("/cgi-bin/tags/update", methods=["POST"])
def tags_update(req: ApiRequest) -> Payload:
    """Rename a tag."""
    tag = _tag(req)
    req.state.tags.rename(req.account, tag.get("id"), tag.get("name"))
    return ok()


@api_endpoint("/cgi-bin/tags/delete", methods=["POST"])
def tags_delete(req: ApiRequest) -> Payload:
    """Delete a tag; its followers lose it."""
    req.state.tags.delete(req.account, _tag(req).get("id"))
    return ok()


@api_endpoint("/cgi-bin/tags/members/batchtagging", methods=["POST"])
def batch_tagging(req: ApiRequest) -> Payload:
    """Put a tag on up to 50 followers."""
    req.state.tags.tag(req.account, *_batch(req))
    return ok()


@api_endpoint("/cgi-bin/tags/members/batchuntagging", methods=["POST"])
def batch_untagging(req: ApiRequest) -> Payload:
    """Take a tag off up to 50 followers."""
    req.state.tags.untag(req.account, *_batch(req))
    return ok()


@api_endpoint("/cgi-bin/tags/getidlist", methods=["POST"])
def tags_of_follower(req: ApiRequest) -> Payload:
    """The ids of the tags a follower carries."""
    openid = _follower(req, _object(req.json()).get("openid"))
    return {"tagid_list": req.state.tags.ids_of(req.account, openid)}


@api_endpoint("/cgi-bin/user/tag/get", methods=["POST"])
def tag_followers(req: ApiRequest) -> Payload:
    """A page of a tag's followers after next_openid; next_openid answers the page's last openid,
    and an empty page (no "data") ends the list, which is how wechatpy's iter_tag_users stops."""
    body = _object(req.json())
    after = body.get("next_openid") or ""
    if not isinstance(after, str):
        raise ApiError(40003)
    openids = req.state.tags.page(req.account, body.get("tagid"), after)
    if not openids:
        return {"count": 0, "next_openid": ""}
    return {"count": len(openids), "data": {"openid": openids}, "next_openid": openids[-1]}

"""Mass sends (群发): POST /cgi-bin/message/mass/send (to openids), sendall (to a tag or everyone) and get.

A send answers once the job is submitted; who receives it is decided then (followers within their
monthly quota), and MASSSENDJOBFINISH follows on the account's webhook (simulator.mass_events).
"""

from __future__ import annotations

from typing import Any

from simulator import mass_events
from simulator.errors import ApiError
from simulator.mass import refuse
from simulator.mass_content import check_clientmsgid, check_content
from simulator.routing import ApiRequest, Payload, api_endpoint

TOUSER_MIN, TOUSER_MAX = 2, 10_000


@api_endpoint("/cgi-bin/message/mass/send", methods=["POST"])
def mass_send(req: ApiRequest) -> Payload:
    """Send to a list of 2 to 10,000 openids (40130 otherwise); non-followers are filtered out."""
    body = _object(req.json())
    touser = body.get("touser")
    if not isinstance(touser, list) or not all(isinstance(o, str) for o in touser):
        raise ApiError(47001)
    openids = list(dict.fromkeys(touser))
    if not TOUSER_MIN <= len(openids) <= TOUSER_MAX:
        raise refuse(40130, None if len(openids) < TOUSER_MIN else "invalid openid list size")
    return _submit(req, body, {"touser": sorted(openids)}, openids)


@api_endpoint("/cgi-bin/message/mass/sendall", methods=["POST"])
def mass_sendall(req: ApiRequest) -> Payload:
    """Send to every follower (filter.is_to_all) or a tag's followers (filter.tag_id; 40152 unknown)."""
    body = _object(req.json())
    filter_ = body.get("filter")
    if not isinstance(filter_, dict):
        raise ApiError(47001)
    if filter_.get("is_to_all") is True:
        return _submit(req, body, {"is_to_all": True}, req.state.followers(req.account))
    tag_id = filter_.get("tag_id")
    if isinstance(tag_id, str) and tag_id.isdigit():
        tag_id = int(tag_id)
    members = _tag_members(req, tag_id)
    return _submit(req, body, {"tag_id": tag_id}, members)


@api_endpoint("/cgi-bin/message/mass/get", methods=["POST"])
def mass_get(req: ApiRequest) -> Payload:
    """A job's status: SENDING, then SEND_SUCCESS or SEND_FAIL; 40059 for another account's or none."""
    body = _object(req.json())
    job = req.state.mass.job(req.account, body.get("msg_id"))
    return {"msg_id": job.msg_id, "msg_status": job.msg_status}


def _submit(req: ApiRequest, body: dict[str, Any], audience: dict[str, Any], targets: list[str]) -> Payload:
    """Check the content and clientmsgid, record the job, schedule its event and answer its ids."""
    msgtype, content = check_content(body, lambda media_id, kind: _media_is(req, media_id, kind))
    clientmsgid = check_clientmsgid(body, audience, msgtype, content)
    account = req.account
    job = req.state.mass.submit(
        account, clientmsgid, audience, msgtype, content, targets, lambda o: req.state.follows(account, o)
    )
    mass_events.schedule(req.state, job)
    answer: Payload = {"errcode": 0, "errmsg": "send job submission success", "msg_id": job.msg_id}
    if job.msg_data_id is not None:
        answer["msg_data_id"] = job.msg_data_id
    return answer


def _tag_members(req: ApiRequest, tag_id: Any) -> list[str]:
    """The followers carrying one of the account's tags (WeChat's star group, 2, included)."""
    tags = req.state.tags.dump(req.account)[req.account]["tags"]
    for tag in tags:
        if not isinstance(tag_id, bool) and tag["id"] == tag_id:
            return list(tag["openids"])
    raise refuse(40152)


def _object(body: Any) -> dict[str, Any]:
    """The JSON body as an object, else 47001."""
    if not isinstance(body, dict):
        raise ApiError(47001)
    return body


def _media_is(req: ApiRequest, media_id: str, kind: str) -> bool:
    """Tell whether a media_id is one of the account's unexpired uploads of the given type."""
    media = req.state.media.live(req.account, media_id)
    return media is not None and media.type == kind

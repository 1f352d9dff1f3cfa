"""What WeChat's server learns from the callbacks it pushes: who follows, who scanned what, who interacted.

The customer side (`WeChatServer` with a `state`) reports every callback it sends here, so the API side
answers user/info, customer-service messages and QR scans the way the member's actions imply.
"""

from __future__ import annotations

from simulator.callbacks import Callback
from simulator.custom import interaction_kind
from simulator.state import SimulatorState

QR_PREFIX = "qrscene_"


def witness(state: SimulatorState, appid: str, callback: Callback) -> None:
    """Update the simulator's state with what one callback says the member did."""
    fields = callback.fields
    event = str(fields["Event"]) if "Event" in fields else None
    at = float(fields["CreateTime"])
    if callback.msg_type == "event" and event == "subscribe":
        source = _follow_source(state, fields)
        state.put_user(appid, callback.openid, subscribe=1, subscribe_time=int(at), **source)
    elif callback.msg_type == "event" and event == "unsubscribe":
        state.put_user(appid, callback.openid, subscribe=0)
    kind = interaction_kind(callback.msg_type, event)
    if kind is not None:
        state.note_interaction(appid, callback.openid, kind, at)


def _follow_source(state: SimulatorState, fields: dict[str, str | int | float]) -> dict[str, str | int]:
    """Return user/info's subscribe_scene, qr_scene and qr_scene_str for a follow event.

    The scene's type comes from the code the Ticket names; without one, a scene of digits is an int scene.
    """
    key = str(fields.get("EventKey", ""))
    if not key.startswith(QR_PREFIX):
        return {"subscribe_scene": "ADD_SCENE_OTHERS", "qr_scene": 0, "qr_scene_str": ""}
    code = state.qrcodes.get(str(fields.get("Ticket", "")))
    raw = key[len(QR_PREFIX) :]
    scene = code.scene if code is not None else int(raw) if raw.isdigit() else raw
    if isinstance(scene, int):
        return {"subscribe_scene": "ADD_SCENE_QR_CODE", "qr_scene": scene, "qr_scene_str": ""}
    return {"subscribe_scene": "ADD_SCENE_QR_CODE", "qr_scene": 0, "qr_scene_str": scene}

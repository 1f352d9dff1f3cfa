"""WeChat's own reports in stored callbacks, read into plain values (the services take those)."""

from __future__ import annotations

from typing import Any

import xmltodict  # type: ignore[import-untyped]

REPORTED = ("TotalCount", "FilterCount", "SentCount", "ErrorCount")  # MASSSENDJOBFINISH's counts


def fields(xml: str) -> dict[str, str]:
    """The top-level fields of a stored callback (already checked by the webhook)."""
    parsed = xmltodict.parse(xml or "<xml/>", disable_entities=True).get("xml") or {}
    return {k: str(v) for k, v in parsed.items() if isinstance(v, str)}


def mass_job_report(xml: str) -> tuple[int, dict[str, Any]] | None:
    """A MASSSENDJOBFINISH callback's (msg_id, result: its status and counts); None without a
    readable msg_id. A count that is not a number reads as 0."""
    found = fields(xml)
    try:
        msg_id = int(found.get("MsgID") or found.get("MsgId") or "")
    except ValueError:
        return None
    result: dict[str, Any] = {"status": found.get("Status")}
    for name in REPORTED:
        try:
            result[name] = int(found.get(name) or 0)
        except ValueError:
            result[name] = 0
    return msg_id, result

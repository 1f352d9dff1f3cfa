"""The merchant's part of a fault run, through the API: a low first tier with a service notice (so
members' first points move them up and a template message goes out), and a campaign to everyone."""

from __future__ import annotations

from typing import Any

import requests

from simulator.state import SimulatorState
from tests.faults.stack import ADMIN_TOKEN, APPID

SILVER_AT = 60  # a follow (50) and one 签到 (10)
TEMPLATE_ID = "faults-tier-notice"


class Merchant:
    def __init__(self, url: str) -> None:
        self.base = f"{url}/api/v1"
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Tiefen-Account": APPID})

    def call(self, method: str, path: str, want: int, **body: Any) -> dict[str, Any]:
        """One API call, tried again while faults make it fail (a 5xx or no answer)."""
        last = ""
        for _ in range(20):
            try:
                answer = self.http.request(method, f"{self.base}{path}", json=body or None, timeout=30)
            except requests.RequestException as exc:
                last = str(exc)
                continue
            if answer.status_code == want:
                return dict(answer.json())
            last = f"{answer.status_code} {answer.text[:300]}"
            if answer.status_code < 500:
                break
        raise AssertionError(f"{method} {path}: {last}")

    def set_up(self) -> None:
        ladder = self.call("GET", "/tiers", 200)["tiers"]
        ladder[1]["threshold"] = SILVER_AT
        self.call("PUT", "/tiers", 200, tiers=ladder)
        self.call("PATCH", "/programme", 200, tier_template_id=TEMPLATE_ID)

    def campaign(self) -> int:
        made = self.call(
            "POST",
            "/campaigns",
            201,
            name="故障演练",
            variants=[{"code": "A", "split": 100, "title": "周末拿铁买一送一", "summary": "会员专享"}],
            quiet_start=0,
            quiet_end=0,  # whatever the time of day: this run keeps no quiet hours
        )
        self.call("POST", f"/campaigns/{made['id']}/send", 202)
        return int(made["id"])

    def status(self, campaign_id: int) -> str:
        return str(self.call("GET", f"/campaigns/{campaign_id}", 200)["status"])


def received(state: SimulatorState, campaign_id: int) -> list[tuple[int, str]]:
    """(campaign_id, openid) of each campaign message WeChat took: customer-service news and mass
    sends alike."""
    marker = f"/campaign/{campaign_id}/"
    got = [
        (campaign_id, m.touser)
        for m in state.custom_messages(APPID)
        if m.msgtype == "news" and marker in str(m.content)
    ]
    for job in state.mass.jobs(APPID):
        if marker in str(job.content):
            got += [(campaign_id, o) for o in job.recipients]
    return got

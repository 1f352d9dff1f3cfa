"""A campaign's life: its statuses, what the merchant's actions do from each, and the moves the
sending job makes itself; and the statuses of its deliveries and mass sends.

The merchant acts (send, pause, resume, cancel); the job then claims the campaign (scheduled while
it waits for its time or the end of quiet hours, sending once planned) and closes it (done) when
no delivery is left to send. A recurring campaign sends nothing itself: its occurrences do.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class CampaignStatus(enum.StrEnum):
    """Where a campaign stands (the `campaigns.status` column holds the value)."""

    DRAFT = "draft"  # made, not sent yet (an occurrence of a recurring one, until its job claims it)
    SCHEDULED = "scheduled"  # its job waits for send_at or the end of quiet hours
    SENDING = "sending"  # planned: its deliveries go out (a journey's campaign stays here)
    PAUSED = "paused"  # the merchant paused it: the senders stop after their batch
    DONE = "done"  # every delivery sent, failed or held
    CANCELLED = "cancelled"
    RECURRING = "recurring"  # its cron expression makes occurrences, each sent like a campaign


class Action(enum.StrEnum):
    """What the merchant can do to a campaign (each is a POST /campaigns/<id>/<action>)."""

    SEND = "send"
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"


S = CampaignStatus


@dataclass(frozen=True)
class Move:
    """An action's rule: the statuses it applies to, and the status it sets (None: it leaves the
    status as it is and the job moves it)."""

    applies_to: frozenset[CampaignStatus]
    leads_to: CampaignStatus | None


ACTIONS: dict[Action, Move] = {
    Action.SEND: Move(frozenset({S.DRAFT, S.SCHEDULED}), None),
    Action.PAUSE: Move(frozenset({S.SENDING, S.SCHEDULED, S.RECURRING}), S.PAUSED),
    Action.RESUME: Move(frozenset({S.PAUSED}), S.SENDING),
    Action.CANCEL: Move(frozenset({S.DRAFT, S.SCHEDULED, S.SENDING, S.PAUSED, S.RECURRING}), S.CANCELLED),
}
STARTS_SENDING = frozenset({Action.SEND, Action.RESUME})  # the actions after which senders are queued

CLAIMABLE = frozenset({S.DRAFT, S.SCHEDULED, S.SENDING})  # what a sending job may take up
FINAL = frozenset({S.DONE, S.CANCELLED})


class NotAllowed(ValueError):
    """An action from a status it does not apply to."""

    def __init__(self, action: Action, status: str) -> None:
        super().__init__(f"cannot {action} a campaign that is {status}")
        self.action, self.status = action, status


def after_action(action: Action, status: str, recurring: bool) -> CampaignStatus:
    """The status a campaign has after `action`; raises NotAllowed when it does not apply.

    A recurring campaign that is sent or resumed starts (or goes back to) recurring.
    """
    move = ACTIONS[action]
    if status not in move.applies_to:
        raise NotAllowed(action, status)
    if recurring and action in STARTS_SENDING:
        return S.RECURRING
    return move.leads_to or CampaignStatus(status)


def queues_senders(action: Action, after: CampaignStatus) -> bool:
    """Whether the action's senders are queued: a send or resume of a campaign that sends itself."""
    return action in STARTS_SENDING and after is not S.RECURRING


def claim(status: str, waits: bool) -> CampaignStatus | None:
    """The job's first move: scheduled when it waits (send_at, quiet hours), sending otherwise;
    None when the campaign is not the job's to send (paused, done, cancelled, recurring)."""
    if status not in CLAIMABLE:
        return None
    return S.SCHEDULED if waits else S.SENDING


def close(status: str, left: int) -> CampaignStatus | None:
    """The job's last move: a sending campaign with nothing left to send is done; None: it stays."""
    return S.DONE if status == S.SENDING and left == 0 else None


class DeliveryStatus(enum.StrEnum):
    """One member's message (the `deliveries.status` column)."""

    PLANNED = "planned"  # waits for a sender (again, after a retryable error)
    SENDING = "sending"  # a sender claimed it
    SENT = "sent"
    FAILED = "failed"  # with the reason: WeChat's code, or "interrupted"
    HELD = "held"  # the planner held it back, with the reason


PENDING_DELIVERIES = (DeliveryStatus.PLANNED, DeliveryStatus.SENDING)  # still to send


class MassSendStatus(enum.StrEnum):
    """One mass-send call (the `mass_sends.status` column)."""

    SENDING = "sending"  # recorded before the call; a killed worker leaves it so
    SUBMITTED = "submitted"  # WeChat took the job
    FINISHED = "finished"  # MASSSENDJOBFINISH reported it
    FAILED = "failed"


def mass_status(delivery: DeliveryStatus) -> MassSendStatus:
    """A mass send's status after the call, from what its deliveries became."""
    if delivery is DeliveryStatus.SENT:
        return MassSendStatus.SUBMITTED
    if delivery is DeliveryStatus.PLANNED:
        return MassSendStatus.SENDING
    return MassSendStatus.FAILED

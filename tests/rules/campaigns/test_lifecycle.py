import pytest

from rules.campaigns.lifecycle import (
    ACTIONS,
    Action,
    CampaignStatus,
    DeliveryStatus,
    MassSendStatus,
    NotAllowed,
    after_action,
    claim,
    close,
    mass_status,
    queues_senders,
)

S = CampaignStatus


def test_the_statuses_are_the_stored_strings():
    assert [s.value for s in S] == [
        "draft",
        "scheduled",
        "sending",
        "paused",
        "done",
        "cancelled",
        "recurring",
    ]
    assert S("paused") is S.PAUSED and S.DONE == "done"


@pytest.mark.parametrize(
    ("action", "status", "after"),
    [
        (Action.SEND, S.DRAFT, S.DRAFT),  # the job moves it on
        (Action.SEND, S.SCHEDULED, S.SCHEDULED),
        (Action.PAUSE, S.SENDING, S.PAUSED),
        (Action.PAUSE, S.SCHEDULED, S.PAUSED),
        (Action.PAUSE, S.RECURRING, S.PAUSED),
        (Action.RESUME, S.PAUSED, S.SENDING),
        (Action.CANCEL, S.DRAFT, S.CANCELLED),
        (Action.CANCEL, S.SENDING, S.CANCELLED),
        (Action.CANCEL, S.RECURRING, S.CANCELLED),
    ],
)
def test_actions_lead_where_they_should(action, status, after):
    assert after_action(action, status, recurring=False) is after


@pytest.mark.parametrize(
    ("action", "status"),
    [
        (Action.SEND, S.SENDING),
        (Action.SEND, S.DONE),
        (Action.SEND, S.PAUSED),
        (Action.PAUSE, S.DRAFT),
        (Action.PAUSE, S.PAUSED),
        (Action.RESUME, S.SENDING),
        (Action.RESUME, S.DRAFT),
        (Action.CANCEL, S.DONE),
        (Action.CANCEL, S.CANCELLED),
    ],
)
def test_actions_refuse_the_statuses_they_do_not_apply_to(action, status):
    with pytest.raises(NotAllowed) as refused:
        after_action(action, status, recurring=False)
    assert refused.value.status == status and refused.value.action is action


def test_nothing_leaves_done_or_cancelled():
    for action in Action:
        for status in (S.DONE, S.CANCELLED):
            with pytest.raises(NotAllowed):
                after_action(action, status, recurring=False)


def test_a_recurring_campaign_sent_or_resumed_recurs():
    assert after_action(Action.SEND, "draft", recurring=True) is S.RECURRING
    assert after_action(Action.RESUME, "paused", recurring=True) is S.RECURRING
    assert after_action(Action.PAUSE, "recurring", recurring=True) is S.PAUSED
    assert after_action(Action.CANCEL, "paused", recurring=True) is S.CANCELLED


def test_senders_are_queued_after_send_and_resume_unless_it_recurs():
    assert queues_senders(Action.SEND, S.DRAFT) and queues_senders(Action.RESUME, S.SENDING)
    assert not queues_senders(Action.SEND, S.RECURRING) and not queues_senders(Action.RESUME, S.RECURRING)
    assert not queues_senders(Action.PAUSE, S.PAUSED) and not queues_senders(Action.CANCEL, S.CANCELLED)


def test_every_action_has_a_rule_and_actions_are_the_urls():
    assert set(ACTIONS) == set(Action) and [a.value for a in Action] == ["send", "pause", "resume", "cancel"]


def test_the_job_claims_draft_scheduled_and_sending_campaigns():
    for status in (S.DRAFT, S.SCHEDULED, S.SENDING):
        assert claim(status, waits=False) is S.SENDING
        assert claim(status, waits=True) is S.SCHEDULED
    for status in (S.PAUSED, S.DONE, S.CANCELLED, S.RECURRING):
        assert claim(status, waits=False) is None and claim(status, waits=True) is None


def test_the_job_closes_a_sending_campaign_with_nothing_left():
    assert close(S.SENDING, left=0) is S.DONE
    assert close(S.SENDING, left=3) is None
    assert close(S.PAUSED, left=0) is None and close(S.CANCELLED, left=0) is None


def test_a_mass_sends_status_follows_its_deliveries():
    assert mass_status(DeliveryStatus.SENT) is MassSendStatus.SUBMITTED
    assert mass_status(DeliveryStatus.PLANNED) is MassSendStatus.SENDING
    assert mass_status(DeliveryStatus.FAILED) is MassSendStatus.FAILED

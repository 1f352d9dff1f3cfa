from datetime import UTC, datetime, timedelta

from rules.inbound.lifecycle import Happened, plan_lifecycle

T = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def ev(i, member, msg_type="event", event=None, key=None, dt=0):
    return Happened(i, member, msg_type, event, key, T + timedelta(seconds=dt))


def test_follows_and_unfollows_are_listed_and_the_last_one_decides():
    plan = plan_lifecycle(
        [
            ev(1, 7, event="subscribe", dt=0),
            ev(2, 7, event="unsubscribe", dt=5),
            ev(3, 8, event="unsubscribe", dt=1),
            ev(4, 8, event="subscribe_scan", key="shop", dt=2),
        ]
    )
    assert plan.follows == [(7, T), (8, T + timedelta(seconds=2))]
    assert plan.unfollows == [(7, T + timedelta(seconds=5)), (8, T + timedelta(seconds=1))]
    assert plan.unfollowed_last == {7} and plan.followed_last == {8}


def test_scans_are_recorded_with_their_kind_and_the_first_scene_of_a_follow():
    plan = plan_lifecycle(
        [
            ev(1, 7, event="subscribe_scan", key="poster-a"),
            ev(2, 7, event="scan", key="counter"),
            ev(3, 9, event="scan", key="x" * 65),  # not a scene WeChat could send
            ev(4, 9, event="subscribe_scan", key=None),
        ]
    )
    assert [(s.event_id, s.scene, s.kind) for s in plan.scans] == [
        (1, "poster-a", "subscribe"),
        (2, "counter", "scan"),
    ]
    assert plan.first_scenes == {7: "poster-a"}


def test_messages_and_interactions_keep_the_latest_time():
    plan = plan_lifecycle(
        [
            ev(1, 7, msg_type="text", dt=10),
            ev(2, 7, event="click", key="MENU_CHECKIN", dt=20),
            ev(3, 7, msg_type="text", dt=5),  # delivered late: older than what we have
            ev(4, 8, event="view", key="https://x", dt=3),
            ev(5, 9, event="location"),  # WeChat sends these by itself: not an interaction
        ]
    )
    assert plan.messages == {7: T + timedelta(seconds=10)}
    assert plan.interactions == {7: T + timedelta(seconds=20), 8: T + timedelta(seconds=3)}


def test_an_unfollow_is_not_an_interaction():
    plan = plan_lifecycle([ev(1, 7, event="unsubscribe")])
    assert plan.interactions == {} and plan.messages == {}


def test_what_the_api_or_a_page_records_is_an_interaction_but_opens_no_message_window():
    plan = plan_lifecycle([ev(1, 7, msg_type="api", event="order_paid", dt=10), ev(2, 8, msg_type="text")])
    assert plan.messages == {8: T}  # WeChat's 48-hour customer-service window: a message the member sent
    assert plan.interactions == {7: T + timedelta(seconds=10), 8: T}

from rules.inbound.keys import dedup_key


def test_messages_are_named_by_msgid():
    assert dedup_key("text", 6123, "oA", 1700000000, None, None) == "msg:6123"


def test_events_are_named_by_sender_time_event_and_key():
    a = dedup_key("event", None, "oA", 1700000000, "subscribe_scan", "ref1")
    assert a.startswith("evt:") and len(a) <= 64
    assert a == dedup_key("event", None, "oA", 1700000000, "subscribe_scan", "ref1")
    others = {
        dedup_key("event", None, "oB", 1700000000, "subscribe_scan", "ref1"),
        dedup_key("event", None, "oA", 1700000001, "subscribe_scan", "ref1"),
        dedup_key("event", None, "oA", 1700000000, "scan", "ref1"),
        dedup_key("event", None, "oA", 1700000000, "subscribe_scan", "ref2"),
    }
    assert a not in others and len(others) == 4


def test_event_key_and_event_cannot_be_confused_by_concatenation():
    assert dedup_key("event", None, "oA", 1, "click", "ab") != dedup_key(
        "event", None, "oA", 1, "clicka", "b"
    )

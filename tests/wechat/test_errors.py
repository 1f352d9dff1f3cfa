import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from wechat.errors import DUPLICATE_MASS, Outcome, classify, reached_wechat


@pytest.mark.parametrize("code", [40003, 40037, 43004, 43019, 45015, 45047])
def test_codes_that_never_succeed_are_final(code):
    assert classify(code) is Outcome.FINAL


@pytest.mark.parametrize("code", [-1, 45009])
def test_busy_and_rate_limited_retry_later(code):
    assert classify(code) is Outcome.RETRY_LATER


@pytest.mark.parametrize("code", [40001, 42001])
def test_token_codes_ask_for_a_refresh(code):
    assert classify(code) is Outcome.REFRESH_TOKEN


@pytest.mark.parametrize("code", [0, 12345, 45065, None, "x"])
def test_anything_else_is_unknown(code):
    assert classify(code) is Outcome.UNKNOWN


def test_codes_given_as_strings_are_read():
    assert classify("45009") is Outcome.RETRY_LATER and classify("43004") is Outcome.FINAL


def test_a_duplicate_mass_send_is_not_a_failure_code():
    assert DUPLICATE_MASS == 45065 and classify(DUPLICATE_MASS) not in (Outcome.FINAL, Outcome.RETRY_LATER)


def test_a_call_wechat_may_have_taken_is_never_sent_again():
    """Seen in tests/faults: WeChat took a message after the client's timeout, and the retry sent it
    twice. Only a connection never made is safe to try again."""
    refused = MaxRetryError(None, "/send", NewConnectionError(None, "refused"))  # type: ignore[arg-type]
    assert not reached_wechat(requests.ConnectionError(refused))
    assert not reached_wechat(requests.ConnectTimeout("connecting"))
    assert reached_wechat(requests.ReadTimeout("no answer in 5 s"))
    assert reached_wechat(
        requests.ConnectionError(ProtocolError("Connection aborted.", "RemoteDisconnected"))
    )

from pathlib import Path

import pytest

from config import Settings, parse_bool


@pytest.mark.parametrize(
    ("raw", "value"), [("1", True), ("YES", True), ("on", True), ("0", False), ("", False)]
)
def test_parse_bool(raw, value):
    assert parse_bool(raw) is value


def test_defaults_are_the_embedded_mode(tmp_path: Path):
    s = Settings.from_env({}, tmp_path)
    assert s.database_url == f"sqlite:///{tmp_path / 'tiefen.sqlite'}"
    assert s.redis_url is None and s.embedded_queue
    assert s.wechat_api_base == "https://api.weixin.qq.com"
    assert s.timestamp_window == 300 and s.max_body_bytes == 65536


def test_environment_is_read_and_typed(tmp_path: Path):
    env = {
        "DATABASE_URL": "postgresql+psycopg://x/y",
        "REDIS_URL": "redis://r:6379/1",
        "TIMESTAMP_WINDOW": "60",
    }
    s = Settings.from_env(env, tmp_path)
    assert (s.database_url, s.redis_url, s.timestamp_window) == (
        "postgresql+psycopg://x/y",
        "redis://r:6379/1",
        60,
    )
    assert not s.embedded_queue


def test_the_callers_dict_wins_over_the_environment(tmp_path: Path):
    s = Settings.from_env({"WECHAT_TOKEN": "fromenv"}, tmp_path).override(
        {"WECHAT_TOKEN": "fromdict", "testing": True}
    )
    assert s.wechat_token == "fromdict" and s.testing is True


def test_an_empty_redis_url_means_embedded(tmp_path: Path):
    assert Settings.from_env({}, tmp_path).override({"REDIS_URL": ""}).embedded_queue


@pytest.fixture
def root_logging():
    """An app built as in production routes the root logger; put it back for the tests after."""
    import logging

    root = logging.getLogger()
    handlers, configured = list(root.handlers), getattr(root, "_tiefen_configured", False)
    yield
    root.handlers[:] = handlers
    root._tiefen_configured = configured  # type: ignore[attr-defined]


def test_outside_tests_tiefen_will_not_start_with_a_known_or_short_secret(tmp_path, root_logging):
    from app import create_app
    from config import InsecureSettings, insecurities

    base = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"}
    for secret in (None, "short"):
        with pytest.raises(InsecureSettings, match="SECRET_KEY is (not set|too short)"):
            create_app({**base, **({"SECRET_KEY": secret} if secret else {})})
    long = "k" * 32
    with pytest.raises(InsecureSettings, match="ADMIN_TOKEN is shorter"):
        create_app({**base, "SECRET_KEY": long, "ADMIN_TOKEN": "admin"})
    assert create_app({**base, "SECRET_KEY": long}).config["SECRET_KEY"] == long
    assert insecurities(Settings.from_env({}, tmp_path).override({"TESTING": True})) == []


def test_a_worker_will_not_start_with_the_default_secret(tmp_path, monkeypatch):
    from config import InsecureSettings
    from tasks import runtime

    monkeypatch.setattr(runtime, "_current", None)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("TESTING", raising=False)
    with pytest.raises(InsecureSettings, match="same in every web and worker process"):
        runtime.current()

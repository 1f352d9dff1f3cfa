"""The console in a real browser: Debian's Chromium driven by Playwright against the app served over
HTTP. Every page's console errors and failed requests fail the test; screenshots of every page visited
are kept in SCREENSHOTS (CI keeps them as artifacts)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.api.conftest import account, make_member  # noqa: F401
from tests.conftest import APPID

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("TIEFEN_SCREENSHOTS", Path(__file__).resolve().parents[2] / "artifacts"))
PASSWORD = "kafei-2026!"
PHONE = {"width": 390, "height": 844}

if not Path(CHROMIUM).exists():
    pytest.skip("no Chromium at /usr/bin/chromium (.ci/run installs it)", allow_module_level=True)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


class Watched:
    """A browser page whose console errors, page errors and failed requests are collected."""

    def __init__(self, page: Any, base: str, name: str) -> None:
        self.page, self.base, self.name, self.problems = page, base, name, []
        page.on("console", self.console_message)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", self.request_failed)
        page.on(
            "response",
            lambda r: (
                r.status >= 400 and not self.expected(r) and self.problems.append(f"{r.status}: {r.url}")
            ),
        )
        self.allowed: set[str] = set()

    def request_failed(self, request: Any) -> None:
        """A failed request is a problem; a fetch the page dropped itself is not (a live preview's
        request in flight when the next keystroke or a navigation supersedes it: net::ERR_ABORTED)."""
        if request.resource_type in ("fetch", "xhr") and "ERR_ABORTED" in (request.failure or ""):
            return
        self.problems.append(f"failed: {request.url} {request.failure}")

    def expected(self, response: Any) -> bool:
        return any(re.search(p, response.url) for p in self.allowed)

    def console_message(self, message: Any) -> None:
        url = (message.location or {}).get("url", "")
        if message.type == "error" and not any(re.search(p, url) for p in self.allowed):
            self.problems.append(f"console: {message.text} ({url})")

    def go(self, path: str) -> Any:
        response = self.page.goto(self.base + path)
        self.shot(re.sub(r"/welcome/.*", "/welcome", path))  # a one-time code names no file
        return response

    def shot(self, label: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-") or "home"
        self.page.screenshot(path=str(SCREENSHOTS / f"{self.name}-{slug}.png"), full_page=True)

    def external_requests(self) -> list[str]:
        return [u for u in self.requested if not u.startswith(self.base) and not u.startswith("data:")]


@pytest.fixture
def browse(
    chromium: Any,
    live_app: Any,
    app: Flask,
    account: Any,  # noqa: F811
) -> Iterator[Callable[..., Watched]]:
    """`browse(role, name)`: a new staff member signed in through their one-time link in the browser."""
    opened: list[tuple[Any, Watched]] = []

    def open_as(role: str, name: str | None = None, viewport: dict[str, int] = PHONE) -> Watched:
        name = name or role
        result = app.test_cli_runner().invoke(
            args=["staff", "add", "--appid", APPID, "--name", name, "--role", role]
        )
        assert result.exit_code == 0, result.output
        path = "/console/" + result.output.strip().split("/console/", 1)[1]
        context = chromium.new_context(viewport=viewport, locale="zh-CN")
        watched = Watched(context.new_page(), live_app.url, f"{role}")
        watched.requested = []
        watched.page.on("request", lambda r: watched.requested.append(r.url))
        opened.append((context, watched))
        watched.go(path)
        watched.page.fill("#password", PASSWORD)
        watched.page.fill("#again", PASSWORD)
        watched.page.click("button[type=submit]")
        watched.page.wait_for_url(re.compile(r"/console/$"))
        return watched

    yield open_as
    for context, watched in opened:
        context.close()
        assert not watched.problems, watched.problems
        assert not watched.external_requests(), watched.external_requests()

"""No cookie session for WeChat's callbacks: WeChat sends none, and opening one costs ~4% of a request."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class SkipWebhookSessions(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith("/wechat"):
            return self.make_null_session(app)
        return super().open_session(app, request)

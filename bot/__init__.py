"""The door: WeChat's webhook, thin over `services`."""

from flask import Blueprint

bp = Blueprint("bot", __name__)

from bot import handlers, media, views  # noqa: E402, F401  (registers routes and handlers)

"""H5 pages under /h5/<appid>/: the member centre and friends, in Simplified Chinese."""

from flask import Blueprint

h5 = Blueprint("h5", __name__, url_prefix="/h5")

from bot.h5 import campaign, code, guards, identity, invite, member, profile, reviews, rewards, tracking, web  # noqa: E402, F401  (registers the views)

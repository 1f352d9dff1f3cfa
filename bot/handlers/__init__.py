"""Importing this package registers every handler."""

from bot.handlers import follow, invites, menu, points, reviews  # noqa: F401

"""Importing this package registers every handler."""

from bot.handlers import follow, menu, points, reviews  # noqa: F401

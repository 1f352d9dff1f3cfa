"""Importing this package registers every handler."""

from bot.handlers import follow, menu, points  # noqa: F401

"""Importing this package registers every handler."""

from bot.handlers import follow, menu  # noqa: F401

"""WeChat API endpoints; importing this package registers them all with `api_endpoint`."""

from simulator.endpoints import menu, message, sns, token, user

__all__ = ["menu", "message", "sns", "token", "user"]

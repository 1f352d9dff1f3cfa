"""WeChat API endpoints; importing this package registers them all with `api_endpoint`."""

from simulator.endpoints import menu, token, user

__all__ = ["menu", "token", "user"]

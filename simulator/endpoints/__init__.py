"""WeChat API endpoints; importing this package registers them all with `api_endpoint`."""

from simulator.endpoints import custom, mass, media, menu, message, qrcode, sns, tags, ticket, token, user

__all__ = ["custom", "mass", "media", "menu", "message", "qrcode", "sns", "tags", "ticket", "token", "user"]

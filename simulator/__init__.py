"""A WeChat simulator: the API server side (Flask app) and the customer side (callback sender, phone)."""

from simulator.api import create_api_app
from simulator.callbacks import Callback
from simulator.custom import SentCustom
from simulator.customer import Outgoing, ScanError, WeChatServer
from simulator.delivery import Delivery
from simulator.mass import MassJob
from simulator.media import Media
from simulator.oauth import OAuthGrant
from simulator.pages import Page
from simulator.phone import Phone
from simulator.qrcodes import QrCode, render_qr_png
from simulator.records import Call, Fault
from simulator.routing import ApiRequest, api_endpoint
from simulator.server import RunningServer, serve_in_thread
from simulator.state import SimulatorState
from simulator.templates import SentTemplate
from simulator.webhooks import WebhookConfig

__all__ = [
    "ApiRequest",
    "Call",
    "Callback",
    "Delivery",
    "Fault",
    "MassJob",
    "Media",
    "OAuthGrant",
    "Outgoing",
    "Page",
    "Phone",
    "QrCode",
    "RunningServer",
    "ScanError",
    "SentCustom",
    "SentTemplate",
    "SimulatorState",
    "WeChatServer",
    "WebhookConfig",
    "api_endpoint",
    "create_api_app",
    "render_qr_png",
    "serve_in_thread",
]

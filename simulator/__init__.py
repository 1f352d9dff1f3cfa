"""A WeChat simulator: the API server side (Flask app) and the customer side (callback sender, phone)."""

from simulator.api import create_api_app
from simulator.callbacks import Callback
from simulator.customer import Outgoing, WeChatServer
from simulator.delivery import Delivery
from simulator.oauth import OAuthGrant
from simulator.pages import Page
from simulator.phone import Phone
from simulator.records import Call, Fault
from simulator.routing import ApiRequest, api_endpoint
from simulator.server import RunningServer, serve_in_thread
from simulator.state import SimulatorState
from simulator.templates import SentTemplate

__all__ = [
    "ApiRequest",
    "Call",
    "Callback",
    "Delivery",
    "Fault",
    "OAuthGrant",
    "Outgoing",
    "Page",
    "Phone",
    "RunningServer",
    "SentTemplate",
    "SimulatorState",
    "WeChatServer",
    "api_endpoint",
    "create_api_app",
    "serve_in_thread",
]

"""A WeChat simulator: the API server side (Flask app) and the customer side (callback sender)."""

from simulator.api import create_api_app
from simulator.callbacks import Callback
from simulator.customer import Outgoing, WeChatServer
from simulator.delivery import Delivery
from simulator.routing import ApiRequest, api_endpoint
from simulator.server import RunningServer, serve_in_thread
from simulator.state import Call, Fault, SimulatorState

__all__ = [
    "ApiRequest",
    "Call",
    "Callback",
    "Delivery",
    "Fault",
    "Outgoing",
    "RunningServer",
    "SimulatorState",
    "WeChatServer",
    "api_endpoint",
    "create_api_app",
    "serve_in_thread",
]

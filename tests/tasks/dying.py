"""A job that dies like a killed worker: after the drain has committed, before RQ hears back."""

import os

from tasks.inbound import drain


def drain_then_die() -> None:
    drain()
    os._exit(9)  # no cleanup, no acknowledgement: as if the machine had been switched off

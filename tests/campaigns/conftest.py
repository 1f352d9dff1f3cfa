"""The merchant API's fixtures, for campaigns."""

from tests.api.conftest import account, api  # noqa: F401

"""The only stage that runs student code: isolated processes that answer calls with plain data."""
from .layers import Limits, available_layers
from .process import RunResult, Sandbox

__all__ = ["Sandbox", "RunResult", "Limits", "available_layers"]

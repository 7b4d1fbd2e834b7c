"""The REST layer: Tornado handlers under ``{base_url}notebook-remote/``.

``base`` holds what every handler shares (parsing at the boundary, the one
error hook, the start-up check that every verb is authenticated);
``handlers`` has one handler a route and the route table; ``openapi.yaml``
is the API's reference. Handlers never speak a remote's dialect: they
validate, call one provider method, and answer with a model.
"""

from __future__ import annotations

from .base import PREFIX, STATE_KEY, BaseHandler, ServerState, check_authenticated
from .handlers import route_table

__all__ = [
    "PREFIX",
    "STATE_KEY",
    "BaseHandler",
    "ServerState",
    "check_authenticated",
    "route_table",
]

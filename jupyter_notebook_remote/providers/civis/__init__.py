"""The ``civis`` kind: Civis Platform notebooks, over the Civis REST API.

``provider`` is :class:`CivisProvider`, the API and how the extension maps
onto Civis; ``wire`` is Civis's JSON, ids and deployment states.
"""

from __future__ import annotations

from .provider import CivisProvider
from .wire import CIVIS_ID_RE, civis_error_message

__all__ = ["CIVIS_ID_RE", "CivisProvider", "civis_error_message"]

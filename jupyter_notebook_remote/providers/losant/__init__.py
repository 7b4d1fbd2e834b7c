"""The ``losant`` kind: Losant Notebooks, and white-labelled copies of the same API.

``provider`` is :class:`LosantProvider`, the API; ``wire`` is Losant's JSON
and dialect. These two modules are the only place that knows Losant's
field names: the rest of the extension sees :mod:`jupyter_notebook_remote.models`.
"""

from __future__ import annotations

from .provider import LosantProvider
from .wire import losant_error_message

__all__ = ["LosantProvider", "losant_error_message"]

"""Remote notebook services, one module per kind.

``PROVIDERS`` maps a ``kind`` of configuration to the class serving it, by
dotted path so that a kind's dependencies load only when it is used. The
app's ``provider_classes`` trait starts from this table and may override it
(tests swap in fakes that way, never by monkeypatching).
"""

from __future__ import annotations

from .base import (
    ConnectionConfig,
    ExecutionFile,
    NotebookUpload,
    Provider,
    ProviderContext,
    TokenSource,
)

PROVIDERS: dict[str, str] = {
    "losant": "jupyter_notebook_remote.providers.losant.LosantProvider",
    "local": "jupyter_notebook_remote.providers.local.LocalProvider",
    "civis": "jupyter_notebook_remote.providers.civis.CivisProvider",
    "fourpointx": "jupyter_notebook_remote.providers.fourpointx.FourPointXProvider",
}

__all__ = [
    "PROVIDERS",
    "ConnectionConfig",
    "ExecutionFile",
    "NotebookUpload",
    "Provider",
    "ProviderContext",
    "TokenSource",
]

"""Connections: what the configuration asks for (``config``) and what runs (``registry``)."""

from __future__ import annotations

from .config import (
    LOCAL_ID,
    LOCAL_KIND,
    ConfigError,
    ConnectionSpec,
    build_specs,
    choose_default,
    load_kinds,
    load_provider_class,
    merged_provider_classes,
    parse_connection,
)
from .registry import ConnectionRegistry, state_dir

__all__ = [
    "LOCAL_ID",
    "LOCAL_KIND",
    "ConfigError",
    "ConnectionRegistry",
    "ConnectionSpec",
    "build_specs",
    "choose_default",
    "load_kinds",
    "load_provider_class",
    "merged_provider_classes",
    "parse_connection",
    "state_dir",
]

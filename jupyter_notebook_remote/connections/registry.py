"""The running connections of one server: one provider each, built once, closed once.

:class:`ConnectionRegistry` builds every provider from its spec (its token
source, the shared HTTP policy, a data directory of its own for a kind that
keeps state here, the names of every credential variable), starts each once
(when the server's loop runs, or on first use) and closes them all at
shutdown. The REST layer reaches providers only through it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Optional

from ..credentials import TokenStore
from ..errors import NotebookRemoteError, UnknownConnection, invalid
from ..http import HttpSettings
from ..models import CONNECTION_ID_RE, ConnectionList
from ..providers.base import Provider, ProviderContext
from .config import LOCAL_ID, ConfigError, ConnectionSpec, secret_env_names, token_source


def state_dir(root: Path, conn_id: str) -> Path:
    """Where a connection that keeps state here keeps it: its own directory.

    The ``local`` connection keeps ``root`` itself (where its history has
    always been); any other gets ``root/connections/<id>``, so two
    connections of such a kind never share one store.
    """
    return root if conn_id == LOCAL_ID else root / "connections" / conn_id


class _Slot:
    """One provider and its start state."""

    def __init__(self, spec: ConnectionSpec, provider: Provider) -> None:
        self.spec = spec
        self.provider = provider
        self.started = False
        self.lock: Optional[asyncio.Lock] = None


class ConnectionRegistry:
    """The running connections of one server: built once, closed once."""

    def __init__(
        self,
        specs: list[ConnectionSpec],
        *,
        default: Optional[str],
        store: TokenStore,
        http: HttpSettings,
        server_base_url: str,
        local_data_dir: Path,
        log: logging.Logger,
        environ: Optional[Mapping[str, str]] = None,
        known_kinds: Optional[Iterable[type[Provider]]] = None,
        schedule_min_minutes: float = 1.0,
    ) -> None:
        self.default = default
        self.store = store
        self.log = log
        self._environ: Mapping[str, str] = os.environ if environ is None else environ
        self._slots: dict[str, _Slot] = {}
        self._closed = False
        kinds = {spec.provider_class for spec in specs}
        secret_env = secret_env_names(specs, [*kinds, *(known_kinds or ())])
        for spec in specs:
            data_dir = None
            if spec.provider_class.keeps_state:
                data_dir = state_dir(local_data_dir, spec.id)
            context = ProviderContext(
                tokens=token_source(spec, store, self._environ, log),
                http=http,
                data_dir=data_dir,
                server_base_url=server_base_url,
                secret_env=secret_env,
                schedule_min_minutes=schedule_min_minutes,
                log=log,
            )
            try:
                provider = spec.provider_class(spec.config, context)
            except (NotebookRemoteError, ValueError, TypeError) as exc:
                fields = getattr(exc, "fields", None) or {"options": str(exc)}
                field_name, problem = next(iter(fields.items()))
                raise ConfigError(f"connection {spec.id!r}", field_name, problem) from None
            self._slots[spec.id] = _Slot(spec, provider)

    # ------------------------------------------------------------------ lookup

    @property
    def ids(self) -> list[str]:
        return list(self._slots)

    def _slot(self, conn_id: str) -> _Slot:
        if not CONNECTION_ID_RE.fullmatch(conn_id):
            raise invalid("connection", "must be 1-64 characters of a-z, 0-9, '_' or '-'")
        slot = self._slots.get(conn_id)
        if slot is None:
            known = ", ".join(self._slots) or "none"
            raise UnknownConnection(
                f"There is no connection '{conn_id}' (known: {known}). Connections are "
                "set in the server configuration (c.NotebookRemote.connections).",
                connection=conn_id,
            )
        return slot

    def provider_nowait(self, conn_id: str) -> Provider:
        """The provider, without starting it (for descriptions and tokens)."""
        return self._slot(conn_id).provider

    async def get(self, conn_id: str) -> Provider:
        """The provider of a connection, started (once) if it was not yet."""
        slot = self._slot(conn_id)
        if not slot.started:
            await self._start(slot)
        return slot.provider

    def describe(self) -> ConnectionList:
        return ConnectionList(
            default=self.default, connections=[s.provider.info() for s in self._slots.values()]
        )

    def secrets(self) -> list[str]:
        """Every token currently known, to scrub from anything we log."""
        found: list[str] = []
        for slot in self._slots.values():
            try:
                value = slot.provider.context.tokens()
            except Exception:
                value = None
            if value:
                found.append(value)
            if slot.spec.token:
                found.append(slot.spec.token)
        return found

    # ------------------------------------------------------------------ life cycle

    async def _start(self, slot: _Slot) -> None:
        if slot.lock is None:
            slot.lock = asyncio.Lock()
        async with slot.lock:
            if slot.started:
                return
            if self._closed:
                raise NotebookRemoteError(
                    "The server is shutting down.", reason="shutting_down", connection=slot.spec.id
                )
            await slot.provider.start()
            slot.started = True
            self.log.debug("Connection '%s' (%s) started.", slot.spec.id, slot.spec.config.kind)

    async def start_all(self) -> None:
        """Start every provider; a failure is logged and retried on first use."""
        for slot in self._slots.values():
            try:
                await self._start(slot)
            except Exception:
                self.log.exception(
                    "Connection '%s' (%s) failed to start; it will be retried when used.",
                    slot.spec.id,
                    slot.spec.config.kind,
                )

    async def aclose(self) -> None:
        """Close every provider once; errors are logged, never raised."""
        if self._closed:
            return
        self._closed = True
        for slot in self._slots.values():
            try:
                await slot.provider.aclose()
            except Exception:
                self.log.exception("Connection '%s' failed to close cleanly.", slot.spec.id)

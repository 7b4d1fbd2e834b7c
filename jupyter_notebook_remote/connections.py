"""Connections: from configuration and environment to running providers.

The first half is pure functions (no Tornado, no Jupyter) that turn the
``c.NotebookRemote.*`` traits plus ``os.environ`` into validated
:class:`ConnectionSpec` objects, and fail with a :class:`ConfigError` naming
the connection and the field when something is wrong: a bad configuration
never silently drops a connection.

The second half, :class:`ConnectionRegistry`, holds one
:class:`~jupyter_notebook_remote.providers.base.Provider` per connection,
starts each once (lazily, on first use, if the server did not start them
already) and closes them all at shutdown.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union
from urllib.parse import urlsplit

from .credentials import TokenStore
from .errors import NotebookRemoteError, UnknownConnection, invalid
from .models import CONNECTION_ID_RE, OBJECT_ID_RE, ConnectionList
from .providers.base import ConnectionConfig, HttpSettings, Provider, ProviderContext

LOSANT_DEFAULT_URL = "https://api.losant.com"
CIVIS_DEFAULT_URL = "https://api.civisanalytics.com"
LOCAL_ID = "local"
LOCAL_LABEL = "This machine"

#: Keys every connection entry may have; anything else is a kind option.
COMMON_KEYS = frozenset({"kind", "label", "base_url", "application_id", "token", "token_env"})
#: Spellings people reach for by habit (the REST API is camelCase).
_MISSPELLINGS = {
    "baseUrl": "base_url",
    "baseURL": "base_url",
    "url": "base_url",
    "applicationId": "application_id",
    "application": "application_id",
    "app_id": "application_id",
    "tokenEnv": "token_env",
    "api_token": "token",
    "apiToken": "token",
}
#: Kinds whose connections need an ``application_id`` of 24 hex characters.
_NEEDS_APPLICATION_ID = frozenset({"losant"})
_KNOWN_DEFAULT_URLS = {"losant": LOSANT_DEFAULT_URL, "civis": CIVIS_DEFAULT_URL}
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

ProviderClassSpec = Union[str, type[Provider], None]


class ConfigError(ValueError):
    """The server configuration of this extension is wrong; start-up stops."""

    def __init__(self, where: str, field_name: str, problem: str) -> None:
        self.where = where
        self.field = field_name
        self.problem = problem
        super().__init__(f"NotebookRemote {where}: {field_name} {problem}")


@dataclass(frozen=True)
class ConnectionSpec:
    """A validated connection with where its token comes from."""

    config: ConnectionConfig
    provider_class: type[Provider]
    #: The token written in the configuration (never shown in a repr).
    token: Optional[str] = field(default=None, repr=False)
    #: Name of an environment variable holding the token.
    token_env: Optional[str] = None
    #: "config", "env" or "default": where the connection came from.
    origin: str = "config"

    @property
    def id(self) -> str:
        return self.config.id


# --------------------------------------------------------------------------- provider classes


def load_provider_class(spec: Union[str, type[Any]]) -> type[Provider]:
    """A provider class from a class object or a dotted path ``pkg.mod.Class``."""
    if isinstance(spec, str):
        module_name, _, attr = spec.rpartition(".")
        if not module_name or not attr:
            raise ImportError(f"'{spec}' is not a dotted path like 'package.module.Class'")
        module = importlib.import_module(module_name)
        try:
            cls = getattr(module, attr)
        except AttributeError:
            raise ImportError(f"module '{module_name}' has no '{attr}'") from None
    else:
        cls = spec
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise ImportError(f"{cls!r} is not a Provider subclass")
    return cls


def merged_provider_classes(
    defaults: Mapping[str, ProviderClassSpec], configured: Mapping[str, ProviderClassSpec]
) -> dict[str, Union[str, type[Provider]]]:
    """The kind table: defaults overridden per kind; ``None``/``""`` removes a kind."""
    table: dict[str, ProviderClassSpec] = {**defaults, **configured}
    return {kind: spec for kind, spec in table.items() if spec}


# --------------------------------------------------------------------------- validation


def _check_base_url(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(where, "base_url", "must be an http(s) URL string")
    text: str = value.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            where, "base_url", f"must be an http:// or https:// URL with a host, got {text!r}"
        )
    if parts.username or parts.password:
        raise ConfigError(
            where, "base_url", "must not contain a user name or password; use token or token_env"
        )
    if parts.query or parts.fragment:
        raise ConfigError(where, "base_url", "must not have a query string or fragment")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ConfigError(where, "base_url", f"has an invalid port: {text!r}") from None
    return text.rstrip("/")


def _optional_str(where: str, entry: Mapping[str, Any], key: str) -> Optional[str]:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(where, key, f"must be a string, got {type(value).__name__}")
    value = value.strip()
    return value or None


def parse_connection(
    conn_id: Any,
    entry: Any,
    provider_classes: Mapping[str, Union[str, type[Provider]]],
    *,
    origin: str = "config",
    extra_options: Optional[Mapping[str, Any]] = None,
) -> ConnectionSpec:
    """Validate one ``connections`` entry; raise :class:`ConfigError` if wrong."""
    where = f"connection {conn_id!r}"
    if not isinstance(conn_id, str) or not CONNECTION_ID_RE.match(conn_id):
        raise ConfigError(
            where, "id", "must be 1-64 characters of a-z, 0-9, '_' or '-' (lower case)"
        )
    if not isinstance(entry, Mapping):
        raise ConfigError(where, "entry", "must be a dict like {'kind': 'losant', ...}")

    for key in entry:
        if key in _MISSPELLINGS:
            raise ConfigError(
                where, str(key), f"is not a setting; did you mean '{_MISSPELLINGS[key]}'?"
            )

    kind = entry.get("kind")
    if not isinstance(kind, str) or not kind:
        raise ConfigError(
            where, "kind", f"is required (one of: {', '.join(sorted(provider_classes))})"
        )
    if kind not in provider_classes:
        raise ConfigError(
            where,
            "kind",
            f"{kind!r} is not a known kind (known: {', '.join(sorted(provider_classes))})",
        )
    try:
        cls = load_provider_class(provider_classes[kind])
    except ImportError as exc:
        raise ConfigError(where, "kind", f"{kind!r} cannot be loaded: {exc}") from None

    label = _optional_str(where, entry, "label") or (LOCAL_LABEL if kind == "local" else conn_id)

    base_url: Optional[str] = None
    if entry.get("base_url") is not None:
        base_url = _check_base_url(where, entry["base_url"])
    else:
        default_url = cls.default_base_url or _KNOWN_DEFAULT_URLS.get(kind)
        if default_url:
            base_url = default_url.rstrip("/")

    application_id = _optional_str(where, entry, "application_id")
    if kind in _NEEDS_APPLICATION_ID:
        if application_id is None:
            raise ConfigError(where, "application_id", "is required for a Losant connection")
        if not OBJECT_ID_RE.match(application_id):
            raise ConfigError(
                where,
                "application_id",
                "must be 24 hexadecimal characters (the id in the Losant application's URL)",
            )

    token = entry.get("token")
    if token is not None:
        if not isinstance(token, str) or not token.strip():
            raise ConfigError(where, "token", "must be a non-empty string")
        token = token.strip()
        if any(ch.isspace() for ch in token):
            raise ConfigError(where, "token", "must not contain spaces or line breaks")
    token_env = _optional_str(where, entry, "token_env")
    if token_env is not None and not _ENV_NAME_RE.match(token_env):
        raise ConfigError(where, "token_env", f"{token_env!r} is not an environment variable name")

    options = {k: v for k, v in entry.items() if k not in COMMON_KEYS}
    allowed = cls.option_names
    unknown = sorted(str(k) for k in options if k not in allowed)
    if unknown:
        raise ConfigError(
            where,
            unknown[0],
            f"is not a setting of kind {kind!r} (settings: "
            f"{', '.join(sorted(COMMON_KEYS | set(allowed)))})",
        )
    if extra_options:
        options = {**extra_options, **options}

    config = ConnectionConfig(
        id=conn_id,
        kind=kind,
        label=label,
        base_url=base_url,
        application_id=application_id,
        options=options,
    )
    return ConnectionSpec(
        config=config, provider_class=cls, token=token, token_env=token_env, origin=origin
    )


def env_connections(
    environ: Mapping[str, str],
    provider_classes: Mapping[str, Union[str, type[Provider]]],
    taken: Iterable[str],
    log: logging.Logger,
) -> list[ConnectionSpec]:
    """Connections the environment asks for (``LOSANT_*``, ``CIVIS_*``)."""
    taken = set(taken)
    found: list[ConnectionSpec] = []

    if environ.get("LOSANT_API_TOKEN") or environ.get("LOSANT_APPLICATION_ID"):
        if "losant" in taken:
            log.info("LOSANT_* environment variables ignored: connection 'losant' is configured.")
        elif not environ.get("LOSANT_APPLICATION_ID"):
            log.warning(
                "LOSANT_API_TOKEN is set but LOSANT_APPLICATION_ID is not; "
                "no 'losant' connection was added. Set LOSANT_APPLICATION_ID too."
            )
        else:
            entry: dict[str, Any] = {
                "kind": "losant",
                "label": "Losant",
                "application_id": environ["LOSANT_APPLICATION_ID"],
                "token_env": "LOSANT_API_TOKEN",
            }
            if environ.get("LOSANT_API_URL"):
                entry["base_url"] = environ["LOSANT_API_URL"]
            spec = _env_spec("losant", entry, provider_classes, "LOSANT_*", log)
            if spec is not None:
                found.append(spec)

    if environ.get("CIVIS_API_KEY"):
        if "civis" in taken:
            log.info("CIVIS_* environment variables ignored: connection 'civis' is configured.")
        else:
            entry = {"kind": "civis", "label": "Civis Platform", "token_env": "CIVIS_API_KEY"}
            if environ.get("CIVIS_API_ENDPOINT"):
                entry["base_url"] = environ["CIVIS_API_ENDPOINT"]
            spec = _env_spec("civis", entry, provider_classes, "CIVIS_*", log)
            if spec is not None:
                found.append(spec)
    return found


def _env_spec(
    conn_id: str,
    entry: Mapping[str, Any],
    provider_classes: Mapping[str, Union[str, type[Provider]]],
    variables: str,
    log: logging.Logger,
) -> Optional[ConnectionSpec]:
    kind = str(entry["kind"])
    if kind not in provider_classes:
        log.warning(
            "%s environment variables are set, but this version has no '%s' provider; "
            "no '%s' connection was added.",
            variables,
            kind,
            conn_id,
        )
        return None
    try:
        load_provider_class(provider_classes[kind])
    except ImportError as exc:
        log.warning(
            "%s environment variables are set, but the '%s' provider cannot be loaded (%s); "
            "no '%s' connection was added.",
            variables,
            kind,
            exc,
            conn_id,
        )
        return None
    try:
        return parse_connection(conn_id, entry, provider_classes, origin="env")
    except ConfigError as exc:
        raise ConfigError(
            f"environment ({variables}) connection {conn_id!r}", exc.field, exc.problem
        ) from None


def local_connection(
    provider_classes: Mapping[str, Union[str, type[Provider]]],
    options: Mapping[str, Any],
    log: logging.Logger,
) -> Optional[ConnectionSpec]:
    """The embedded ``local`` connection, or None (with a warning) if unavailable."""
    spec = provider_classes.get("local")
    if spec is None:
        log.warning("No 'local' provider is registered; the 'local' connection is not offered.")
        return None
    try:
        load_provider_class(spec)
    except ImportError as exc:
        log.warning(
            "The 'local' provider cannot be loaded (%s); the 'local' connection is not offered.",
            exc,
        )
        return None
    return parse_connection(
        LOCAL_ID,
        {"kind": "local", "label": LOCAL_LABEL},
        provider_classes,
        origin="default",
        extra_options=options,
    )


def build_specs(
    configured: Mapping[str, Any],
    *,
    provider_classes: Mapping[str, Union[str, type[Provider]]],
    environ: Mapping[str, str],
    local_enabled: bool,
    local_options: Mapping[str, Any],
    log: logging.Logger,
) -> list[ConnectionSpec]:
    """All connections, in order: configured, then environment, then ``local``."""
    if not isinstance(configured, Mapping):
        raise ConfigError("connections", "value", "must be a dict of id -> settings")
    specs: list[ConnectionSpec] = []
    for conn_id, entry in configured.items():
        extra = (
            local_options if isinstance(entry, Mapping) and entry.get("kind") == "local" else None
        )
        if conn_id == LOCAL_ID and not local_enabled:
            log.info("Connection 'local' is configured but local_enabled is False; skipping it.")
            continue
        specs.append(parse_connection(conn_id, entry, provider_classes, extra_options=extra))
    specs.extend(env_connections(environ, provider_classes, [s.id for s in specs], log))
    if local_enabled and all(s.id != LOCAL_ID for s in specs):
        local = local_connection(provider_classes, local_options, log)
        if local is not None:
            specs.append(local)
    for spec in specs:
        if spec.token_env and not spec.token and not environ.get(spec.token_env):
            log.warning(
                "Connection '%s': environment variable %s is not set; set it or a token "
                "from the Remote Notebooks panel.",
                spec.id,
                spec.token_env,
            )
        if not spec.provider_class.needs_token and (spec.token or spec.token_env):
            log.warning(
                "Connection '%s' (%s) does not use a token; it is ignored.",
                spec.id,
                spec.config.kind,
            )
    return specs


def choose_default(specs: list[ConnectionSpec], default_connection: str) -> Optional[str]:
    """The configured default, else the first remote connection, else ``local``."""
    ids = [s.id for s in specs]
    if default_connection:
        if default_connection not in ids:
            raise ConfigError(
                "default_connection",
                repr(default_connection),
                f"is not a connection (known: {', '.join(ids) or 'none'})",
            )
        return default_connection
    for spec in specs:
        if spec.config.kind != "local":
            return spec.id
    return ids[0] if ids else None


def token_source(
    spec: ConnectionSpec, store: TokenStore, environ: Mapping[str, str]
) -> Callable[[], Optional[str]]:
    """Stored token (set from the UI), else configured token, else environment."""
    conn_id, configured, env_name = spec.id, spec.token, spec.token_env

    def tokens() -> Optional[str]:
        stored = store.get(conn_id)
        if stored:
            return stored
        if configured:
            return configured
        if env_name:
            return environ.get(env_name) or None
        return None

    return tokens


# --------------------------------------------------------------------------- the registry


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
    ) -> None:
        self.default = default
        self.store = store
        self.log = log
        self._environ: Mapping[str, str] = os.environ if environ is None else environ
        self._slots: dict[str, _Slot] = {}
        self._closed = False
        secret_env = frozenset(spec.token_env for spec in specs if spec.token_env)
        for spec in specs:
            data_dir = local_data_dir if spec.config.kind == "local" else None
            context = ProviderContext(
                tokens=token_source(spec, store, self._environ),
                http=http,
                data_dir=data_dir,
                server_base_url=server_base_url,
                secret_env=secret_env,
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

    def spec(self, conn_id: str) -> ConnectionSpec:
        return self._slot(conn_id).spec

    def _slot(self, conn_id: str) -> _Slot:
        if not CONNECTION_ID_RE.match(conn_id):
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

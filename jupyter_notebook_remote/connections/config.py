"""From configuration and environment to validated connection specs.

Pure functions (no Tornado, no Jupyter) that turn the ``c.NotebookRemote.*``
traits plus ``os.environ`` into :class:`ConnectionSpec` objects, and fail with
a :class:`ConfigError` naming the connection and the field when something is
wrong: a bad configuration never silently drops a connection.

Nothing here knows a kind by name: each kind's class says what it needs (its
default base URL and label, the ``application_id`` it requires, its options,
the connection its environment variables ask for; see
:class:`~jupyter_notebook_remote.providers.base.Provider`). The one name
known here is the embedded default connection, ``local``.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Optional, Union
from urllib.parse import urlsplit

from ..credentials import TokenStore
from ..models import CONNECTION_ID_RE, token_problem
from ..providers.base import ConnectionConfig, Provider, TokenSource

#: The embedded default connection: its id, and the kind serving it.
LOCAL_ID = "local"
LOCAL_KIND = "local"

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
    if not isinstance(conn_id, str) or not CONNECTION_ID_RE.fullmatch(conn_id):
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

    label = _optional_str(where, entry, "label") or cls.default_label or conn_id

    base_url: Optional[str] = None
    if entry.get("base_url") is not None:
        base_url = _check_base_url(where, entry["base_url"])
    elif cls.default_base_url:
        base_url = cls.default_base_url.rstrip("/")

    application_id = _optional_str(where, entry, "application_id")
    if cls.application_ids is not None:
        if application_id is None:
            raise ConfigError(where, "application_id", f"is required for a {kind} connection")
        if not cls.application_ids.pattern.match(application_id):
            raise ConfigError(where, "application_id", f"must be {cls.application_ids.description}")

    token = entry.get("token")
    if token is not None:
        if not isinstance(token, str) or not token.strip():
            raise ConfigError(where, "token", "must be a non-empty string")
        token = token.strip()
        problem = token_problem(token)
        if problem is not None:
            raise ConfigError(where, "token", problem)
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


def load_kinds(
    provider_classes: Mapping[str, Union[str, type[Provider]]], log: logging.Logger
) -> dict[str, type[Provider]]:
    """Every kind that loads; one that does not is left out with a warning.

    A connection of a kind left out is then a :class:`ConfigError` naming
    the kind and why it did not load.
    """
    kinds: dict[str, type[Provider]] = {}
    for kind, spec in provider_classes.items():
        try:
            kinds[kind] = load_provider_class(spec)
        except ImportError as exc:
            log.warning("The '%s' kind cannot be loaded (%s); it is not offered.", kind, exc)
    return kinds


def env_connections(
    environ: Mapping[str, str],
    kinds: Mapping[str, type[Provider]],
    taken: Iterable[str],
    log: logging.Logger,
) -> list[ConnectionSpec]:
    """Connections the environment asks for, as each (loaded) kind reads its variables."""
    taken = set(taken)
    found: list[ConnectionSpec] = []
    for kind, cls in kinds.items():
        wanted = cls.environment_connection(environ)
        if wanted is None:
            continue
        if wanted.id in taken:
            log.info(
                "%s environment variables ignored: connection '%s' is configured.",
                wanted.variables,
                wanted.id,
            )
            continue
        if wanted.entry is None:
            log.warning("%s", wanted.problem or f"{wanted.variables} are incomplete.")
            continue
        try:
            spec = parse_connection(wanted.id, {**wanted.entry, "kind": kind}, kinds, origin="env")
        except ConfigError as exc:
            raise ConfigError(
                f"environment ({wanted.variables}) connection {wanted.id!r}",
                exc.field,
                exc.problem,
            ) from None
        found.append(spec)
        taken.add(spec.id)
    return found


def local_connection(
    kinds: Mapping[str, type[Provider]], options: Mapping[str, Any]
) -> Optional[ConnectionSpec]:
    """The embedded ``local`` connection, or None when its kind did not load
    (:func:`load_kinds` said why)."""
    if LOCAL_KIND not in kinds:
        return None
    return parse_connection(
        LOCAL_ID, {"kind": LOCAL_KIND}, kinds, origin="default", extra_options=options
    )


def build_specs(
    configured: Mapping[str, Any],
    *,
    provider_classes: Mapping[str, Union[str, type[Provider]]],
    kinds: Optional[Mapping[str, type[Provider]]] = None,
    environ: Mapping[str, str],
    local_enabled: bool,
    kind_options: Mapping[str, Mapping[str, Any]],
    local_options: Mapping[str, Any],
    log: logging.Logger,
) -> list[ConnectionSpec]:
    """All connections, in order: configured, then environment, then ``local``.

    ``kinds`` are the kinds that loaded (:func:`load_kinds`; loaded here when
    not given). ``kind_options`` are defaults of every connection of a kind
    (the app's ``local_*`` traits for kind ``local``); ``local_options``
    apply to the ``local`` connection alone (its history file).
    """
    if kinds is None:
        kinds = load_kinds(provider_classes, log)
    if not isinstance(configured, Mapping):
        raise ConfigError("connections", "value", "must be a dict of id -> settings")
    specs: list[ConnectionSpec] = []
    for conn_id, entry in configured.items():
        if conn_id == LOCAL_ID and not local_enabled:
            log.info("Connection 'local' is configured but local_enabled is False; skipping it.")
            continue
        kind = entry.get("kind") if isinstance(entry, Mapping) else None
        extra = dict(kind_options.get(kind, {})) if isinstance(kind, str) else {}
        if conn_id == LOCAL_ID and kind == LOCAL_KIND:
            extra.update(local_options)
        specs.append(parse_connection(conn_id, entry, provider_classes, extra_options=extra))
    specs.extend(env_connections(environ, kinds, [s.id for s in specs], log))
    if local_enabled and all(s.id != LOCAL_ID for s in specs):
        options = {**kind_options.get(LOCAL_KIND, {}), **local_options}
        local = local_connection(kinds, options)
        if local is not None:
            specs.append(local)
    for spec in specs:
        check_token_env(spec, environ)
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


def check_token_env(spec: ConnectionSpec, environ: Mapping[str, str]) -> None:
    """Refuse to start when ``token_env``'s variable holds an unusable token.

    Such a token would fail every call on the connection; saying so at
    start-up, naming the connection and the variable, is the clearer failure.
    """
    value = environ.get(spec.token_env) if spec.token_env else None
    if not value or not value.strip():
        return
    problem = token_problem(value.strip())
    if problem is not None:
        where = f"connection {spec.id!r}"
        raise ConfigError(where, "token_env", f"({spec.token_env}): the token {problem}")


def choose_default(specs: list[ConnectionSpec], default_connection: str) -> Optional[str]:
    """The configured default, else the first connection to a remote service
    (one that keeps no state on this machine), else the first."""
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
        if not spec.provider_class.keeps_state:
            return spec.id
    return ids[0] if ids else None


def token_source(
    spec: ConnectionSpec,
    store: TokenStore,
    environ: Mapping[str, str],
    log: Optional[logging.Logger] = None,
) -> TokenSource:
    """Stored token (set from the UI), else configured token, else environment.

    A stored token that breaks the token rule (a store written before the
    rule, or edited by hand) is passed over as if forgotten, with an error in
    the server log naming the connection and telling to set it again: sent,
    it would turn every call into a failure to encode the header. The
    configured and environment tokens were checked at start-up; an
    environment value is stripped of surrounding white space, as a shell's
    ``$(cat file)`` or a ``.env`` line may leave it.
    """
    conn_id, configured, env_name = spec.id, spec.token, spec.token_env
    logger = log or logging.getLogger("jupyter_notebook_remote")
    warned: set[int] = set()

    def usable(value: Optional[str], where: str) -> Optional[str]:
        if not value:
            return None
        problem = token_problem(value)
        if problem is None:
            return value
        if hash(value) not in warned:
            warned.add(hash(value))
            logger.error(
                "Connection '%s': the token %s %s; it is ignored. Set the token again "
                "from the Remote Notebooks panel.",
                conn_id,
                where,
                problem,
            )
        return None

    def tokens() -> Optional[str]:
        stored = usable(store.get(conn_id), "stored from the panel")
        if stored:
            return stored
        if configured:
            return configured
        if env_name:
            return usable((environ.get(env_name) or "").strip(), f"in {env_name}")
        return None

    return tokens


def secret_env_names(
    specs: Iterable[ConnectionSpec], kinds: Iterable[type[Provider]]
) -> frozenset[str]:
    """Every environment variable that holds a credential: each kind's, each ``token_env``."""
    names: set[str] = {spec.token_env for spec in specs if spec.token_env}
    for cls in kinds:
        names.update(cls.secret_env)
    return frozenset(names)

"""The Jupyter Server extension: configuration, connections, routes, shutdown.

Configured as ``c.NotebookRemote.*`` (see DESIGN.md). Everything is built
once in :meth:`NotebookRemote.initialize_settings`; the handlers only look
it up. Providers are started when the server's event loop runs (or on first
use, whichever comes first) and closed in :meth:`NotebookRemote.stop_extension`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Callable, Optional

from jupyter_core.paths import jupyter_data_dir
from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Dict, Float, Int, Type, Unicode, default, validate

from .connections import (
    LOCAL_KIND,
    ConnectionRegistry,
    build_specs,
    choose_default,
    load_kinds,
    merged_provider_classes,
)
from .credentials import FileTokenStore, TokenStore
from .http import HttpSettings
from .providers import PROVIDERS
from .push.checker import SavedNotebooks, close_spare
from .rest import STATE_KEY, ServerState, check_authenticated, route_table


class NotebookRemote(ExtensionApp):
    """Push, run and watch notebooks on remote notebook services."""

    name = "jupyter_notebook_remote"
    description = "Push, run and watch notebooks on a remote notebook service."
    load_other_extensions = True

    # ------------------------------------------------------------------ connections

    connections = Dict(
        default_value={},
        help="""Remote notebook services, by connection id ([a-z0-9_-]{1,64}).

        Each value is a dict with "kind" ("losant", "local"...), and optionally
        "label", "base_url" (http(s); defaults per kind, e.g. https://api.losant.com),
        "application_id" (Losant: 24 hex characters), "token" or "token_env"
        (the name of an environment variable holding the token), plus options of
        the kind. Example:

            c.NotebookRemote.connections = {
                "plant-a": {"kind": "losant", "application_id": "575ec8687ae143cd83dc4a97",
                            "token_env": "PLANT_A_TOKEN"},
            }
        """,
    ).tag(config=True)

    default_connection = Unicode(
        "",
        help="""Id of the connection the UI selects first. Empty: the first remote
        connection, else 'local'.""",
    ).tag(config=True)

    provider_classes = Dict(
        help="""Kind -> Provider class (or its dotted path). Merged over the built-in
        table per kind; map a kind to "" to remove it.""",
    ).tag(config=True)

    @default("provider_classes")
    def _default_provider_classes(self) -> dict[str, Any]:
        return dict(PROVIDERS)

    # ------------------------------------------------------------------ tokens

    token_store_class = Type(
        default_value=FileTokenStore,
        klass=TokenStore,
        help="""Where tokens set from the UI are kept (server side only). The default
        is a JSON file readable by its owner only; with the optional `keyring`
        package installed, "jupyter_notebook_remote.credentials.KeyringTokenStore"
        keeps them in the operating system's keyring instead.""",
    ).tag(config=True)

    token_store_path = Unicode(
        help="""Path of the token store (for FileTokenStore).
        Default: <jupyter data dir>/notebook_remote/tokens.json.""",
    ).tag(config=True)

    @default("token_store_path")
    def _default_token_store_path(self) -> str:
        return os.path.join(jupyter_data_dir(), "notebook_remote", "tokens.json")

    # ------------------------------------------------------------------ limits and HTTP

    max_push_bytes = Int(
        50 * 1024 * 1024,
        help="Largest notebook file (bytes) a push may send; larger ones get 413.",
    ).tag(config=True)

    max_folder_bytes = Int(
        50 * 1024 * 1024,
        help="""Most bytes of files beside a notebook that a push to a local connection
        carries along (they become the run's working directory); more gets 413. A
        link can carry none, or its subfolders too.""",
    ).tag(config=True)

    http_connect_timeout = Float(10.0, help="Seconds to connect to a remote service.").tag(
        config=True
    )
    http_read_timeout = Float(
        60.0, help="Seconds to wait for a remote service's answer to arrive."
    ).tag(config=True)
    http_write_timeout = Float(60.0, help="Seconds allowed to send a request body.").tag(
        config=True
    )
    http_max_connections = Int(20, help="Open connections to remote services, at most.").tag(
        config=True
    )
    http_max_attempts = Int(
        4,
        help="""Attempts in all for a safe (idempotent) remote call on 408/429/502/503/504
        or a connection error; 1 means never retry. A request that starts a run is
        never retried.""",
    ).tag(config=True)
    http_retry_deadline = Float(
        30.0, help="Stop retrying once this many seconds have passed since the first try."
    ).tag(config=True)

    http_read_freshness = Float(
        1.0,
        help="""Seconds an answer to a remote read (a list of runs, a notebook) may be
        reused for identical reads, e.g. several browser tabs polling one run; 0 shares
        only reads in flight at the same moment. Any change (run, push, edit, cancel)
        on a connection empties its shared reads at once. At most 10; keep it below
        the panel's activeInterval setting (2 s by default), which a browser may also
        lower with Cache-Control: max-age.""",
    ).tag(config=True)

    @validate("http_read_freshness")
    def _freshness(self, proposal: Any) -> float:
        value = float(proposal["value"])
        if not 0 <= value <= 10:
            raise ValueError("NotebookRemote.http_read_freshness must be from 0 to 10 seconds")
        return value

    @validate("max_push_bytes", "max_folder_bytes", "http_max_connections", "http_max_attempts")
    def _positive_int(self, proposal: Any) -> int:
        value = int(proposal["value"])
        if value < 1:
            raise ValueError(f"NotebookRemote.{proposal['trait'].name} must be at least 1")
        return value

    @validate(
        "http_connect_timeout",
        "http_read_timeout",
        "http_write_timeout",
        "http_retry_deadline",
        "local_max_run_minutes",
    )
    def _positive_float(self, proposal: Any) -> float:
        value = float(proposal["value"])
        if not value > 0:
            raise ValueError(f"NotebookRemote.{proposal['trait'].name} must be more than 0")
        return value

    schedule_min_minutes = Float(
        1.0,
        help="""The shortest interval a schedule may have, in minutes: a cron that would
        run a notebook more often is refused (400 naming cron).""",
    ).tag(config=True)

    @validate("schedule_min_minutes")
    def _schedule_floor(self, proposal: Any) -> float:
        value = float(proposal["value"])
        if not 1 <= value <= 60 * 24 * 366:
            raise ValueError("NotebookRemote.schedule_min_minutes must be from 1 to 527040")
        return value

    # ------------------------------------------------------------------ local

    local_enabled = Bool(
        True, help="Offer the 'local' connection, which runs notebooks on this machine."
    ).tag(config=True)

    local_data_dir = Unicode(
        help="""Directory of the local connection's runs (inputs, outputs, history).
        Another connection of kind "local" keeps its own under
        <local_data_dir>/connections/<id>. Default: <jupyter data dir>/notebook_remote/local.""",
    ).tag(config=True)

    @default("local_data_dir")
    def _default_local_data_dir(self) -> str:
        return os.path.join(jupyter_data_dir(), "notebook_remote", "local")

    local_db_path = Unicode(
        "",
        help="""SQLite file of the 'local' connection's run history. Empty: a file
        inside its data directory.""",
    ).tag(config=True)

    local_max_parallel = Int(
        2, help="Local runs executing at the same time, at most; others wait queued."
    ).tag(config=True)

    @validate("local_max_parallel")
    def _parallel(self, proposal: Any) -> int:
        value = int(proposal["value"])
        if value < 1:
            raise ValueError("NotebookRemote.local_max_parallel must be at least 1")
        return value

    local_max_run_minutes = Float(
        60.0, help="A local run taking longer than this is stopped with status 'timeout'."
    ).tag(config=True)

    local_keep_runs = Int(
        50,
        help="""Local runs whose files are kept, per notebook: the files (results, logs,
        outputs) of older ended runs are removed, their history stays. 0: no limit by
        number.""",
    ).tag(config=True)

    local_keep_days = Float(
        30.0,
        help="""Days the files of an ended local run are kept; then they are removed and
        its history stays. 0: no limit by age.""",
    ).tag(config=True)

    local_prestart_minutes = Float(
        30.0,
        help="""After a push and after each run, the local connection starts the next
        run's runner and kernel ahead of time, so that the run starts at once; this
        kernel waits this many minutes for a run, then stops. 0: every run starts its
        own kernel.""",
    ).tag(config=True)

    @validate("local_keep_runs", "local_keep_days", "local_prestart_minutes")
    def _retention(self, proposal: Any) -> Any:
        value = proposal["value"]
        if value < 0:
            raise ValueError(
                f"NotebookRemote.{proposal['trait'].name} must be 0 (off, no limit) or more"
            )
        return value

    # ------------------------------------------------------------------ building

    registry: Optional[ConnectionRegistry] = None

    def http_settings(self) -> HttpSettings:
        return HttpSettings(
            connect_timeout=self.http_connect_timeout,
            read_timeout=self.http_read_timeout,
            write_timeout=self.http_write_timeout,
            max_connections=self.http_max_connections,
            max_keepalive_connections=min(10, self.http_max_connections),
            max_attempts=self.http_max_attempts,
            retry_deadline=self.http_retry_deadline,
            read_freshness=self.http_read_freshness,
        )

    def kind_options(self) -> dict[str, dict[str, Any]]:
        """Defaults of every connection of a kind, from the traits: ``local_*``."""
        return {
            LOCAL_KIND: {
                "max_parallel": self.local_max_parallel,
                "max_run_minutes": self.local_max_run_minutes,
                "keep_runs": self.local_keep_runs,
                "keep_days": self.local_keep_days,
                "prestart_minutes": self.local_prestart_minutes,
            }
        }

    def local_options(self) -> dict[str, Any]:
        """What applies to the ``local`` connection alone: its history file."""
        return {"db_path": self.local_db_path} if self.local_db_path else {}

    def _logger(self) -> logging.Logger:
        log = self.log
        return log if isinstance(log, logging.Logger) else logging.getLogger(self.name)

    def build_registry(self, environ: Optional[dict[str, str]] = None) -> ConnectionRegistry:
        """Validate the configuration and build every provider (once)."""
        env = dict(os.environ) if environ is None else environ
        log = self._logger()
        classes = merged_provider_classes(PROVIDERS, self.provider_classes)
        kinds = load_kinds(classes, log)
        specs = build_specs(
            self.connections,
            provider_classes=classes,
            kinds=kinds,
            environ=env,
            local_enabled=self.local_enabled,
            kind_options=self.kind_options(),
            local_options=self.local_options(),
            log=log,
        )
        default_id = choose_default(specs, self.default_connection)
        store_class: Callable[[Path, logging.Logger], TokenStore] = self.token_store_class
        store = store_class(Path(self.token_store_path), log)
        server_base_url = self.serverapp.base_url if self.serverapp is not None else "/"
        return ConnectionRegistry(
            specs,
            default=default_id,
            store=store,
            http=self.http_settings(),
            server_base_url=server_base_url,
            local_data_dir=Path(self.local_data_dir),
            log=log,
            # Live: a token_env variable is read when a call needs it.
            environ=os.environ if environ is None else environ,
            known_kinds=kinds.values(),
            schedule_min_minutes=self.schedule_min_minutes,
        )

    def initialize_settings(self) -> None:
        self.registry = self.build_registry()
        saved = SavedNotebooks(self.log)
        installed = saved.install(getattr(self.serverapp, "contents_manager", None))
        self.settings[STATE_KEY] = ServerState(
            registry=self.registry,
            max_push_bytes=self.max_push_bytes,
            max_folder_bytes=self.max_folder_bytes,
            saved_notebooks=saved if installed else None,
        )
        self.log.info(
            "Notebook remote connections: %s (default: %s)",
            ", ".join(self.registry.ids) or "none",
            self.registry.default,
        )

    def initialize_handlers(self) -> None:
        routes = route_table()
        check_authenticated(handler for _, handler in routes)
        self.handlers.extend(routes)

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        if self.registry is not None:
            await self.registry.start_all()

    async def stop_extension(self) -> None:
        close_spare()
        if self.registry is not None:
            await self.registry.aclose()

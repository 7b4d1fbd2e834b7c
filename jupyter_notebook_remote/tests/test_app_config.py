"""Configuration: traits and environment -> validated connections and a registry."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, ClassVar, Optional

import pytest
from traitlets.config import Config

from jupyter_notebook_remote.app import NotebookRemote
from jupyter_notebook_remote.connections import (
    ConfigError,
    ConnectionRegistry,
    build_specs,
    choose_default,
    merged_provider_classes,
)
from jupyter_notebook_remote.connections.config import token_source
from jupyter_notebook_remote.credentials import FileTokenStore
from jupyter_notebook_remote.http import HttpSettings
from jupyter_notebook_remote.models import NotebookCreate
from jupyter_notebook_remote.providers import PROVIDERS
from jupyter_notebook_remote.rest import STATE_KEY
from jupyter_notebook_remote.tests.memory_provider import MemoryProvider

APP_ID = "575ec8687ae143cd83dc4a97"
LOG = logging.getLogger("test-config")
KINDS = merged_provider_classes(PROVIDERS, {"memory": MemoryProvider})


class StrictMemory(MemoryProvider):
    kind = "strict"
    option_names: ClassVar[frozenset[str]] = frozenset({"region"})


def specs(
    connections: Optional[dict[str, Any]] = None,
    *,
    environ: Optional[dict[str, str]] = None,
    kinds: Any = KINDS,
    local_enabled: bool = True,
) -> list[Any]:
    return build_specs(
        connections or {},
        provider_classes=kinds,
        environ=environ or {},
        local_enabled=local_enabled,
        kind_options={"local": {"max_parallel": 2, "max_run_minutes": 60.0}},
        local_options={},
        log=LOG,
    )


def config_error(connections: dict[str, Any], **kwargs: Any) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        specs(connections, **kwargs)
    return err.value


# --------------------------------------------------------------------------- defaults


def test_zero_configuration_offers_local_as_default() -> None:
    found = specs()
    assert [(s.id, s.config.kind, s.config.label) for s in found] == [
        ("local", "local", "This machine")
    ]
    assert dict(found[0].config.options) == {"max_parallel": 2, "max_run_minutes": 60.0}
    assert choose_default(found, "") == "local"


def test_local_can_be_turned_off() -> None:
    assert specs(local_enabled=False) == []
    assert choose_default([], "") is None


def test_an_unloadable_local_provider_is_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    kinds = merged_provider_classes(PROVIDERS, {"local": "no_such_module.LocalProvider"})
    with caplog.at_level(logging.WARNING, logger="test-config"):
        assert specs(kinds=kinds) == []
    assert caplog.text.count("'local' kind cannot be loaded") == 1


def test_first_remote_connection_is_the_default() -> None:
    found = specs({"a": {"kind": "memory"}, "b": {"kind": "memory"}})
    assert [s.id for s in found] == ["a", "b", "local"]
    assert choose_default(found, "") == "a"
    assert choose_default(found, "b") == "b"


def test_unknown_default_connection_is_named() -> None:
    with pytest.raises(ConfigError, match=r"default_connection.*'plant-z'.*a, local"):
        choose_default(specs({"a": {"kind": "memory"}}), "plant-z")


# --------------------------------------------------------------------------- entries


def test_losant_entry_with_defaults_and_white_label() -> None:
    found = specs(
        {
            "plant-a": {"kind": "losant", "application_id": APP_ID, "token": "t0k"},
            "wnology": {
                "kind": "losant",
                "application_id": APP_ID,
                "base_url": "https://api.app.wnology.io/",
                "label": "WNOLOGY",
            },
        }
    )
    a, w = found[0], found[1]
    assert (a.config.base_url, a.config.label, a.config.application_id) == (
        "https://api.losant.com",
        "plant-a",
        APP_ID,
    )
    assert a.token == "t0k"
    assert "t0k" not in repr(a)
    assert (w.config.base_url, w.config.label) == ("https://api.app.wnology.io", "WNOLOGY")


@pytest.mark.parametrize(
    ("conn_id", "entry", "field", "words"),
    [
        ("Plant A", {"kind": "memory"}, "id", "a-z"),
        ("x" * 65, {"kind": "memory"}, "id", "1-64"),
        ("ok", "losant", "entry", "dict"),
        ("ok", {}, "kind", "required"),
        ("ok", {"kind": "sharepoint"}, "kind", "not a known kind"),
        ("ok", {"kind": "memory", "base_url": "api.example.com"}, "base_url", "http"),
        ("ok", {"kind": "memory", "base_url": "ftp://example.com"}, "base_url", "http"),
        ("ok", {"kind": "memory", "base_url": "https://u:p@example.com"}, "base_url", "password"),
        ("ok", {"kind": "memory", "base_url": "https://example.com/?a=1"}, "base_url", "query"),
        ("ok", {"kind": "memory", "base_url": "https://example.com:99999"}, "base_url", "port"),
        ("ok", {"kind": "memory", "baseUrl": "https://x.org"}, "baseUrl", "base_url"),
        ("ok", {"kind": "memory", "token": "a b"}, "token", "visible ASCII"),
        ("ok", {"kind": "memory", "token": 5}, "token", "string"),
        ("ok", {"kind": "memory", "token_env": "1BAD"}, "token_env", "variable"),
        ("ok", {"kind": "memory", "label": ["x"]}, "label", "string"),
        ("ok", {"kind": "losant"}, "application_id", "required"),
        ("ok", {"kind": "losant", "application_id": "abc"}, "application_id", "24"),
        ("ok", {"kind": "strict", "regoin": "eu"}, "regoin", "not a setting"),
    ],
)
def test_bad_entries_name_the_connection_and_field(
    conn_id: str, entry: Any, field: str, words: str
) -> None:
    kinds = {**KINDS, "strict": StrictMemory}
    error = config_error({conn_id: entry}, kinds=kinds)
    assert error.field == field
    assert repr(conn_id) in str(error)
    assert field in str(error)
    assert words in str(error)


def test_kind_options_are_passed_through() -> None:
    kinds = {**KINDS, "strict": StrictMemory}
    (found, _) = specs({"eu": {"kind": "strict", "region": "eu-1"}}, kinds=kinds)
    assert dict(found.config.options) == {"region": "eu-1"}


def test_configured_local_gets_the_local_options() -> None:
    (local,) = specs({"local": {"kind": "local", "label": "Workstation"}})
    assert local.config.label == "Workstation"
    assert local.config.options["max_parallel"] == 2


# --------------------------------------------------------------------------- environment


def test_losant_environment_adds_a_connection() -> None:
    env = {
        "LOSANT_API_TOKEN": "env-token",
        "LOSANT_APPLICATION_ID": APP_ID,
        "LOSANT_API_URL": "https://api.app.wnology.io/",
    }
    found = specs(environ=env)
    assert [s.id for s in found] == ["losant", "local"]
    losant = found[0]
    assert (losant.config.kind, losant.config.base_url, losant.token_env) == (
        "losant",
        "https://api.app.wnology.io",
        "LOSANT_API_TOKEN",
    )
    assert losant.origin == "env"
    assert choose_default(found, "") == "losant"


def test_configured_losant_wins_over_the_environment() -> None:
    env = {"LOSANT_API_TOKEN": "env-token", "LOSANT_APPLICATION_ID": APP_ID}
    found = specs({"losant": {"kind": "memory"}}, environ=env)
    assert [(s.id, s.config.kind) for s in found] == [("losant", "memory"), ("local", "local")]


def test_losant_environment_without_application_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="test-config"):
        found = specs(environ={"LOSANT_API_TOKEN": "env-token"})
    assert [s.id for s in found] == ["local"]
    assert "LOSANT_APPLICATION_ID" in caplog.text
    assert "env-token" not in caplog.text


def test_bad_losant_environment_is_a_config_error() -> None:
    error = config_error({}, environ={"LOSANT_API_TOKEN": "t", "LOSANT_APPLICATION_ID": "nope"})
    assert error.field == "application_id"
    assert "LOSANT_*" in str(error)


def test_civis_environment_is_ignored_when_the_kind_is_removed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With ``provider_classes = {"civis": ""}`` no kind reads CIVIS_*: no connection, no error."""
    kinds = {k: v for k, v in KINDS.items() if k != "civis"}
    with caplog.at_level(logging.INFO, logger="test-config"):
        found = specs(environ={"CIVIS_API_KEY": "civis-secret"}, kinds=kinds)
    assert [s.id for s in found] == ["local"]
    assert "civis-secret" not in caplog.text


# --------------------------------------------------------------------------- tokens


def test_token_precedence_store_then_config_then_environment(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    env = {"PLANT_TOKEN": "from-env"}
    (both, only_env, _) = specs(
        {
            "both": {"kind": "memory", "token": "from-config", "token_env": "PLANT_TOKEN"},
            "only-env": {"kind": "memory", "token_env": "PLANT_TOKEN"},
        },
        environ=env,
    )
    tokens = token_source(both, store, env)
    assert tokens() == "from-config"
    store.set("both", "from-ui")
    assert tokens() == "from-ui"
    store.delete("both")
    assert tokens() == "from-config"

    env_tokens = token_source(only_env, store, env)
    assert env_tokens() == "from-env"
    env["PLANT_TOKEN"] = "rotated"
    assert env_tokens() == "rotated"
    del env["PLANT_TOKEN"]
    assert env_tokens() is None


# --------------------------------------------------------------------------- the app


def make_app(tmp_path: Path, **traits: Any) -> NotebookRemote:
    config = Config(
        {
            "NotebookRemote": {
                "token_store_path": str(tmp_path / "tokens.json"),
                "local_data_dir": str(tmp_path / "local"),
                "provider_classes": {"memory": MemoryProvider},
                **traits,
            }
        }
    )
    return NotebookRemote(config=config)


def test_app_maps_traits_onto_providers(tmp_path: Path) -> None:
    app = make_app(
        tmp_path,
        connections={"mem": {"kind": "memory", "token_env": "MEM_TOKEN"}},
        http_connect_timeout=3.5,
        http_read_timeout=20.0,
        http_max_attempts=2,
        http_retry_deadline=9.0,
        local_max_parallel=4,
        local_max_run_minutes=5.0,
        local_keep_runs=7,
        local_keep_days=0.0,
        local_prestart_minutes=0.0,
        schedule_min_minutes=5.0,
        local_db_path=str(tmp_path / "runs.sqlite"),
    )
    registry = app.build_registry(environ={"MEM_TOKEN": "abc"})
    assert registry.ids == ["mem", "local"]
    assert registry.default == "mem"
    mem = registry.provider_nowait("mem")
    assert mem.context.http == HttpSettings(
        connect_timeout=3.5,
        read_timeout=20.0,
        max_attempts=2,
        retry_deadline=9.0,
    )
    assert mem.context.tokens() == "abc"
    assert mem.context.data_dir is None
    local = registry.provider_nowait("local")
    assert local.context.data_dir == tmp_path / "local"
    assert dict(local.connection.options) == {
        "max_parallel": 4,
        "max_run_minutes": 5.0,
        "keep_runs": 7,
        "keep_days": 0.0,
        "prestart_minutes": 0.0,
        "db_path": str(tmp_path / "runs.sqlite"),
    }
    assert local.context.schedule_min_minutes == 5.0
    assert mem.context.schedule_min_minutes == 5.0
    assert isinstance(registry.store, FileTokenStore)
    assert registry.store.path == tmp_path / "tokens.json"


def test_app_default_paths_live_in_the_jupyter_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    app = NotebookRemote()
    assert app.token_store_path == str(tmp_path / "data" / "notebook_remote" / "tokens.json")
    assert app.local_data_dir == str(tmp_path / "data" / "notebook_remote" / "local")
    assert app.max_push_bytes == 50 * 1024 * 1024


@pytest.mark.parametrize(
    ("trait", "value"),
    [("max_push_bytes", 0), ("local_max_parallel", 0), ("http_read_timeout", 0.0)],
)
def test_app_refuses_nonsense_limits(tmp_path: Path, trait: str, value: Any) -> None:
    app = make_app(tmp_path)
    with pytest.raises(Exception, match=trait):
        setattr(app, trait, value)


async def test_registry_starts_each_provider_once_under_concurrency(tmp_path: Path) -> None:
    import asyncio

    found = specs({"mem": {"kind": "memory"}}, local_enabled=False)
    registry = ConnectionRegistry(
        found,
        default="mem",
        store=FileTokenStore(tmp_path / "t.json"),
        http=HttpSettings(),
        server_base_url="/",
        local_data_dir=tmp_path,
        log=LOG,
        environ={},
    )
    providers = await asyncio.gather(*(registry.get("mem") for _ in range(5)))
    assert all(p is providers[0] for p in providers)
    assert providers[0].started == 1  # type: ignore[attr-defined]
    await registry.aclose()
    await registry.aclose()
    assert providers[0].closed == 1  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- a real server


async def test_server_with_zero_configuration(jp_fetch: Any) -> None:
    response = await jp_fetch("notebook-remote", "connections")
    data = json.loads(response.body)
    assert data["default"] == "local"
    assert [c["id"] for c in data["connections"]] == ["local"]
    local = data["connections"][0]
    assert (local["kind"], local["label"], local["authConfigured"]) == (
        "local",
        "This machine",
        True,
    )


@pytest.fixture
def losant_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LOSANT_API_TOKEN", "env-losant-token-123")
    monkeypatch.setenv("LOSANT_APPLICATION_ID", APP_ID)
    monkeypatch.delenv("LOSANT_API_URL", raising=False)
    return "env-losant-token-123"


async def test_server_picks_up_the_losant_environment(losant_env: str, jp_fetch: Any) -> None:
    response = await jp_fetch("notebook-remote", "connections")
    data = json.loads(response.body)
    assert data["default"] == "losant"
    losant = data["connections"][0]
    assert (losant["id"], losant["kind"], losant["applicationId"], losant["baseUrl"]) == (
        "losant",
        "losant",
        APP_ID,
        "https://api.losant.com",
    )
    assert losant["authConfigured"] is True
    assert losant_env not in response.body.decode()


@pytest.fixture
def strict_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    jp_server_config["ServerApp"]["reraise_server_extension_failures"] = True
    return jp_server_config


@pytest.mark.parametrize(
    ("traits", "words"),
    [
        ({"connections": {"plant-a": {"kind": "losant", "application_id": "xyz"}}}, "'plant-a'"),
        ({"default_connection": "plant-z"}, "plant-z"),
    ],
)
def test_bad_configuration_stops_the_server(
    request: pytest.FixtureRequest,
    notebook_remote_config: dict[str, Any],
    strict_server_config: dict[str, Any],
    traits: dict[str, Any],
    words: str,
) -> None:
    strict_server_config["NotebookRemote"].update(traits)
    with pytest.raises(ConfigError, match=words):
        request.getfixturevalue("jp_serverapp")


async def test_registry_is_shared_state(jp_serverapp: Any) -> None:
    state = jp_serverapp.web_app.settings[STATE_KEY]
    assert state.max_push_bytes == 50 * 1024 * 1024
    assert state.registry.ids == ["local"]


async def test_two_local_connections_keep_separate_stores(tmp_path: Path) -> None:
    """Each connection of kind local has its own notebooks, whatever the other holds."""
    app = make_app(
        tmp_path,
        connections={"lab": {"kind": "local", "label": "Lab"}},
        local_data_dir=str(tmp_path / "data"),
        local_db_path=str(tmp_path / "history.sqlite3"),
    )
    registry = app.build_registry(environ={})
    try:
        lab, local = await registry.get("lab"), await registry.get("local")
        created = await lab.create_notebook(NotebookCreate(name="only in lab"))
        assert [n.id for n in (await lab.list_notebooks()).items] == [created.id]
        assert (await local.list_notebooks()).items == []
        assert (tmp_path / "history.sqlite3").is_file()  # local_db_path is local's alone
    finally:
        await registry.aclose()


def test_a_provider_refusing_its_options_stops_start_up(tmp_path: Path) -> None:
    app = make_app(tmp_path, connections={"local": {"kind": "local", "max_parallel": "lots"}})
    with pytest.raises(ConfigError) as err:
        app.build_registry(environ={})
    assert "'local'" in str(err.value)
    assert "max_parallel" in str(err.value)

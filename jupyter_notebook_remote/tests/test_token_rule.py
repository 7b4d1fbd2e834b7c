"""A token is visible ASCII, 1..4096 characters, wherever it comes from.

A token travels in an HTTP header, which carries nothing else: one with an
accent, a typographic quote pasted from a document, a tab or a line break
used to be stored (204) and then turned every call on its connection into
a 500. Now the route refuses it (400 naming ``token``), configuration
refuses it at start-up (naming the connection and the field), and a stored
one is passed over as if forgotten, with a log line saying to set it again.
No answer or log line repeats the token.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from jupyter_notebook_remote.connections import ConfigError
from jupyter_notebook_remote.connections.config import token_source
from jupyter_notebook_remote.credentials import FileTokenStore
from jupyter_notebook_remote.models import MAX_TOKEN_CHARS, token_problem

from .fakes.losant import FakeLosant
from .rest import call_api
from .test_app_config import specs

CONN = "fake"

#: (what a user did, the token, words the message must have)
BAD_TOKENS = [
    ("accented", "café-token-0123", "position 4: 'é', U+00E9"),
    ("typographic quote", "it\u2019s-my-token", "position 3: '\u2019', U+2019"),
    ("tab", "abc\tdef", "position 4: a tab"),
    ("newline inside", "abc\ndef", "position 4: a line break"),
    ("space inside", "abc def", "position 4: a space"),
    ("trailing newline", "abcdef\n", "position 7: a line break"),
    ("zero-width space", "abc\u200bdef", "invisible character U+200B"),
    ("too long", "a" * (MAX_TOKEN_CHARS + 1), f"at most {MAX_TOKEN_CHARS}"),
]
BAD_IDS = [case[0] for case in BAD_TOKENS]
#: The cases that stay bad once surrounding white space is trimmed, as
#: configuration trims it.
BAD_INSIDE = [case for case in BAD_TOKENS if case[1] == case[1].strip()]
INSIDE_IDS = [case[0] for case in BAD_INSIDE]


def test_the_rule_names_the_character_and_where_never_the_token() -> None:
    for _, token, words in BAD_TOKENS:
        problem = token_problem(token)
        assert problem is not None
        assert words in problem
        assert token not in problem
    assert token_problem("") == "is empty"
    assert token_problem("a" * MAX_TOKEN_CHARS) is None
    assert token_problem("".join(chr(c) for c in range(0x21, 0x7F))) is None


# --------------------------------------------------------------------------- the route


@pytest.fixture
def notebook_remote_config(
    notebook_remote_config: dict[str, Any], losant_connection: dict[str, Any]
) -> dict[str, Any]:
    return {
        **notebook_remote_config,
        "connections": {CONN: losant_connection},
        "local_enabled": False,
    }


@pytest.mark.parametrize(("_what", "token", "words"), BAD_TOKENS, ids=BAD_IDS)
async def test_put_refuses_a_token_a_header_cannot_carry(
    jp_fetch: Any,
    fake_losant: FakeLosant,
    caplog: pytest.LogCaptureFixture,
    _what: str,
    token: str,
    words: str,
) -> None:
    response, data = await call_api(
        jp_fetch, "PUT", "connections", CONN, "token", body={"token": token}
    )
    assert response.code == 400, data
    assert data["reason"] == "invalid_input"
    assert list(data["fields"]) == ["token"]
    assert words in data["fields"]["token"]
    assert token.strip() not in response.body.decode()
    assert token.strip() not in caplog.text
    # Nothing was stored: the configured token still works.
    response, data = await call_api(jp_fetch, "GET", "connections", CONN, "notebooks")
    assert response.code == 200, data


async def test_the_longest_token_is_stored_and_sent(jp_fetch: Any, fake_losant: FakeLosant) -> None:
    token = "t" * MAX_TOKEN_CHARS
    response, _ = await call_api(
        jp_fetch, "PUT", "connections", CONN, "token", body={"token": token}
    )
    assert response.code == 204
    # Sent as it is: the fake refuses it as a wrong token, not a server failure.
    response, data = await call_api(jp_fetch, "GET", "connections", CONN, "notebooks")
    assert response.code == 403, data
    assert data["reason"] == "remote_auth"


@pytest.fixture
def bad_stored_token(notebook_remote_config: dict[str, Any]) -> str:
    """A token store written before the rule existed (or edited by hand)."""
    bad = "café-token-0123"
    Path(notebook_remote_config["token_store_path"]).write_text(
        json.dumps({CONN: bad}), encoding="utf-8"
    )
    return bad


async def test_a_bad_stored_token_is_passed_over_and_the_user_told_to_set_it_again(
    jp_fetch: Any,
    fake_losant: FakeLosant,
    bad_stored_token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bad = bad_stored_token
    with caplog.at_level(logging.ERROR, logger="jupyter_notebook_remote"):
        response, data = await call_api(jp_fetch, "GET", "connections", CONN, "notebooks")
        # The configured token applies, as if the stored one had been forgotten.
        assert response.code == 200, data
        await call_api(jp_fetch, "GET", "connections", CONN, "notebooks")
    said = [r.getMessage() for r in caplog.records if "stored from the panel" in r.getMessage()]
    assert len(said) == 1  # once, not on every call
    assert f"Connection '{CONN}'" in said[0]
    assert "Set the token again" in said[0]
    assert bad not in caplog.text

    response, _ = await call_api(
        jp_fetch, "PUT", "connections", CONN, "token", body={"token": fake_losant.token}
    )
    assert response.code == 204
    response, _ = await call_api(jp_fetch, "GET", "connections", CONN, "notebooks")
    assert response.code == 200


def test_a_bad_stored_token_without_a_fallback_is_no_token(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    (spec,) = specs({"ui-only": {"kind": "memory"}}, local_enabled=False)
    store.set("ui-only", "it\u2019s-my-token")  # the store itself takes any text
    tokens = token_source(spec, store, {})
    assert tokens() is None  # so the connection says authConfigured: false, then token_missing
    store.set("ui-only", "fine-token")
    assert tokens() == "fine-token"


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(("_what", "token", "words"), BAD_INSIDE, ids=INSIDE_IDS)
def test_a_configured_token_is_refused_at_start_up(_what: str, token: str, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        specs({"plant-a": {"kind": "memory", "token": token}})
    assert err.value.field == "token"
    assert "'plant-a'" in str(err.value)
    assert words.split(":")[-1].strip() in str(err.value)
    assert token not in str(err.value)


def test_a_configured_token_with_surrounding_white_space_is_trimmed() -> None:
    (spec, _) = specs({"plant-a": {"kind": "memory", "token": " abc\n"}})
    assert spec.token == "abc"


@pytest.mark.parametrize(("_what", "token", "words"), BAD_INSIDE, ids=INSIDE_IDS)
def test_a_token_in_token_env_is_refused_at_start_up(_what: str, token: str, words: str) -> None:
    environ = {"PLANT_TOKEN": token}
    with pytest.raises(ConfigError) as err:
        specs({"plant-a": {"kind": "memory", "token_env": "PLANT_TOKEN"}}, environ=environ)
    assert err.value.field == "token_env"
    assert "'plant-a'" in str(err.value)
    assert "PLANT_TOKEN" in str(err.value)
    assert token not in str(err.value)


def test_a_token_env_value_is_sent_without_its_surrounding_white_space(tmp_path: Path) -> None:
    environ = {"PLANT_TOKEN": "abc\n"}
    (spec, _) = specs({"plant-a": {"kind": "memory", "token_env": "PLANT_TOKEN"}}, environ=environ)
    assert token_source(spec, FileTokenStore(tmp_path / "t.json"), environ)() == "abc"


def test_a_bad_losant_environment_token_stops_start_up() -> None:
    environ = {
        "LOSANT_API_TOKEN": "café-token-0123",
        "LOSANT_APPLICATION_ID": "575ec8687ae143cd83dc4a97",
    }
    with pytest.raises(ConfigError) as err:
        specs(environ=environ)
    assert err.value.field == "token_env"
    assert "LOSANT_API_TOKEN" in str(err.value)
    assert "café" not in str(err.value)


@pytest.fixture
def strict_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    """A server whose extension failing to load fails the test, as a user's would not start."""
    jp_server_config["ServerApp"]["reraise_server_extension_failures"] = True
    return jp_server_config


def test_a_bad_configured_token_stops_the_real_server(
    request: pytest.FixtureRequest, strict_server_config: dict[str, Any]
) -> None:
    strict_server_config["NotebookRemote"]["connections"] = {
        "plant-a": {
            "kind": "losant",
            "application_id": "575ec8687ae143cd83dc4a97",
            "token": "it\u2019s",
        }
    }
    with pytest.raises(ConfigError, match=r"connection 'plant-a': token contains") as err:
        request.getfixturevalue("jp_serverapp")
    assert "it\u2019s" not in str(err.value)

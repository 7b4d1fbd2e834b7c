"""The rule of what looks like a credential (credentials/shapes.py, DESIGN.md)."""

from __future__ import annotations

import random
import secrets
import string
import uuid

import pytest

from jupyter_notebook_remote.credentials.shapes import (
    credential_problem,
    secret_name,
    secret_shape,
)
from jupyter_notebook_remote.errors import InvalidInput
from jupyter_notebook_remote.notebook_options import check_environment

SECRET_NAMES = [
    "DB_PASSWORD",
    "dbPassword",
    "PGPASSWORD",
    "API_KEY",
    "apiKey",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "client_secret",
    "CLIENTSECRET",
    "GITHUB_TOKEN",
    "GITHUBTOKEN",
    "HF_TOKEN",
    "SLACK_TOKENS",
    "DB_PASS",
    "MYSQL_PWD",
    "SSH_PASSPHRASE",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "SESSION_COOKIE",
    "PRIVATE_KEY",
    "SORT_KEY",  # a false alarm the rule accepts: rename it
]
PLAIN_NAMES = [
    "REGION",
    "DATABASE_URL",
    "TOKENIZER",
    "TOKENIZERS_PARALLELISM",
    "SECRETARY",
    "MONKEY",
    "KEYBOARD_LAYOUT",
    "OAUTH_CLIENT_ID",
    "PATH",
    "S3_BUCKET",
    "PASSAGE",
    "LOG_LEVEL",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_a_name_that_says_secret_is_one(name: str) -> None:
    assert secret_name(name) is not None
    assert credential_problem(name, "x") is not None
    assert credential_problem(name, "") is None  # an empty value is no secret


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_a_plain_name_is_not(name: str) -> None:
    assert secret_name(name) is None
    assert credential_problem(name, "eu-west-1") is None


KNOWN = [
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_" + "a1B2c3D4e5" * 4,
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
    "glpat-abcdefghijklmnopqrst",
    "xoxb-123456789012-abcdefghij",
    "sk_live_" + "a1b2c3d4" * 3,
    "AIza" + "A1b2C3d4E5" * 3 + "abcde",
    "sk-proj-abcdefghijklmnopqrstuvwx",
    "hf_" + "abcdefghij" * 3 + "ab",
    "npm_" + "a1B2c3" * 6,
    "Bearer abcdefgh12345",
    "Authorization: Basic dXNlcjpwYXNz",
    "postgres://app:hunter2@db.example.com:5432/app",
    "key=value;token " + secrets.token_urlsafe(32),  # inside a longer value
]


@pytest.mark.parametrize("value", KNOWN)
def test_known_token_formats_are_refused_anywhere_in_a_value(value: str) -> None:
    assert secret_shape(value) is not None, value
    why = credential_problem("SETTING", value)
    assert why is not None
    assert value not in why


PLAIN_VALUES = [
    "eu-west-1",
    "MyProjectName2024Production",
    "production-east-1-analytics-cluster",
    "python3.11.4-slim-bookworm-20240101",
    "/home/user/projects/Analysis2024Q1Reports",
    "s3://bucket-2024/raw/events/2024/01/01/part-00000.parquet",
    "https://example.com/path?x=1",
    "civisanalytics/datascience-python:7.1.0",
    "UTF8_Encoding_Latin1_Fallback_v2",
    "3f2a9c1e",  # a short commit id
    str(uuid.UUID(int=0x1234_5678_9ABC_4DEF_8123_4567_89AB_CDEF)),  # an id
    "a" * 64,
    "1234567890" * 4,
    '{"threshold": 0.8, "window": "7d"}',
    "America/New_York",
]


@pytest.mark.parametrize("value", PLAIN_VALUES)
def test_words_paths_versions_and_ids_pass(value: str) -> None:
    assert secret_shape(value) is None, value


@pytest.mark.parametrize(
    ("alphabet", "length"),
    [
        (string.ascii_letters + string.digits + "-_", 32),
        (string.ascii_letters + string.digits + "+/", 40),
        ("0123456789abcdef", 40),
        ("0123456789abcdef", 64),
    ],
)
def test_most_random_tokens_are_caught(alphabet: str, length: int) -> None:
    """A heuristic, not a proof: of 500 random tokens, at least 90% are refused."""
    rng = random.Random(7)
    caught = sum(
        secret_shape("".join(rng.choice(alphabet) for _ in range(length))) is not None
        for _ in range(500)
    )
    assert caught >= 450


def test_a_connection_token_is_refused_whatever_its_shape() -> None:
    assert secret_shape("prefix plain-token-value suffix", ["plain-token-value"]) is not None
    assert secret_shape("plain", ["plain-token-value"]) is None


def test_a_refusal_names_the_variable_never_its_value() -> None:
    value = f"hunter-{secrets.token_hex(4)}"
    with pytest.raises(InvalidInput) as err:
        check_environment({"DB_PASSWORD": value, "OK": "1"}, advice="in the vault")
    body = str(err.value.to_json())
    assert value not in body
    assert list(err.value.fields) == ["environmentVariables.DB_PASSWORD"]
    assert "in the vault" in err.value.fields["environmentVariables.DB_PASSWORD"]
    assert "rename" in err.value.fields["environmentVariables.DB_PASSWORD"]
    token = secrets.token_urlsafe(30)
    with pytest.raises(InvalidInput) as err:
        check_environment({"CONFIG": token}, advice="in the vault")
    assert token not in str(err.value.to_json())
    # Its name is plain: renaming would not help, so the advice does not say to.
    assert "rename" not in err.value.fields["environmentVariables.CONFIG"]
    assert check_environment({"OK": "1", "EMPTY_TOKEN": ""}, advice="x") == {
        "OK": "1",
        "EMPTY_TOKEN": "",
    }

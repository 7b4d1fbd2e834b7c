"""schemathesis against a real Jupyter Server: the server keeps openapi.yaml's word.

The spec is the contract. For every operation schemathesis sends what the
spec allows (which must not be refused as bad input) and what it forbids
(which must be refused with a 4xx), and checks every answer: never a 500,
only statuses the spec lists, the documented content type and schema, and
a request without Jupyter's token refused.

The server is ``python -m jupyter_server`` in a child process (schemathesis
calls it synchronously, which an in-process server on the test's own loop
could not answer), with the extension, a fake Losant on loopback and the
``local`` connection. Real ids (the connection, a pushed notebook, one of
its runs) are supplied as fixed path parameters, so requests reach past the
404s into each route's parsing. schemathesis's engine runs its examples,
coverage (boundary values, wrong types, missing fields) and fuzzing phases;
the stateful phase is off. Seeded, derandomized and without its cache: a
run repeats exactly; the fuzzing phase is bounded by ``MAX_EXAMPLES`` per
operation. A failure found here becomes a regular test next to the code it
concerns (test_openapi_agreement.py, test_token_rule.py, ...).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import nbformat
import pytest
import schemathesis
import schemathesis.engine
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status
from schemathesis.engine.events import NonFatalError, ScenarioFinished

from .fakes.losant import FakeLosant
from .live_server import JupyterServer

SPEC_PATH = Path(__file__).resolve().parent.parent / "rest" / "openapi.yaml"
#: Fuzzing-phase examples per operation; the whole file runs in about two minutes here
#: (the examples and coverage phases add their own, a fixed set).
MAX_EXAMPLES = 80
SEED = 13
#: The connections fuzzed: a remote kind (through httpx to the fake) and ``local``.
TARGETS = ("fake", "local")


class ChildServer(JupyterServer):
    """The live server with the fake Losant as ``fake``, and ``local``, for this module."""

    def __init__(self, tmp: Path, fake: FakeLosant) -> None:
        super().__init__(
            connections={
                "fake": {
                    "kind": "losant",
                    "base_url": fake.url,
                    "application_id": fake.application_id,
                    "token_env": "FUZZ_LOSANT_TOKEN",
                }
            },
            env={"FUZZ_LOSANT_TOKEN": fake.token},
            traits={"local_max_parallel": 1},
            tmp=tmp,
        )

    def call(self, method: str, *parts: str, body: Any = None) -> Any:
        response = httpx.request(
            method, self.api(*parts), headers=self.headers, json=body, timeout=30
        )
        assert response.status_code < 300, (response.status_code, response.text)
        return response.json() if response.content else None

    def real_ids(self, conn: str) -> dict[str, str]:
        """A pushed notebook of ``conn`` and one of its runs, made through the API,
        and another notebook for ``DELETE`` to delete (``doomed``)."""
        nb = self.call("POST", "connections", conn, "notebooks", body={"name": "fuzzed"})["id"]
        self.call("POST", "connections", conn, "notebooks", nb, "push", body={"path": "a.ipynb"})
        run = self.call("POST", "connections", conn, "notebooks", nb, "executions")
        doomed = self.call("POST", "connections", conn, "notebooks", body={"name": "doomed"})
        return {"conn": conn, "nb": nb, "ex": run["executionId"], "doomed": doomed["id"]}


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    fake = FakeLosant(queued_seconds=0.05, running_seconds=0.2, canceling_seconds=0.05)
    fake.start()
    server = ChildServer(tmp_path_factory.mktemp("fuzz"), fake)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1 + 1")]
    (server.root / "a.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        fake.stop()
    assert not fake.bugs, f"the fake Losant broke its own schemas: {fake.bugs}"


#: Checks the spec decides. Left out: the stateful ones (use_after_free,
#: ensure_resource_availability), as the stateful phase is off, and
#: unsupported_method (Tornado's 405s are not in the spec: every route lists
#: only its own verbs).
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "ignored_auth",
)

DELETE_NOTEBOOK = "DELETE /connections/{conn}/notebooks/{nb}"
#: Valid data the spec cannot tell from invalid: a rule across fields. Stated
#: in the spec's text; held by regular tests (test_openapi_agreement.py).
CROSS_FIELD = (
    "GET /connections/{conn}/notebooks/{nb}/usage",  # start <= end, <= 366 days
    # templateContext as a string must hold a JSON object: no schema says that of a string.
    "POST /connections/{conn}/notebooks/{nb}/executions",
    "POST /connections/{conn}/notebooks/{nb}/input-export",
    # A cron is checked by cron's own grammar, an end must lie ahead, a time
    # zone must be IANA's: the schema can only say "a string".
    "PUT /connections/{conn}/notebooks/{nb}/schedule",
    # Losant's notebook schema decides each input and output (a oneOf by type);
    # kinds without notebook inputs refuse any. The runtime options (memory,
    # environmentVariables...) are a kind's (notebookOptions: Civis), and an
    # environment variable's name and credential-looking value follow rules
    # no schema states (OpenAPI 3.0 has no propertyNames).
    "PATCH /connections/{conn}/notebooks/{nb}",
    "POST /connections/{conn}/notebooks",
    # A pull's path must name a file not there yet (or say overwrite) in a folder that is.
    "POST /connections/{conn}/notebooks/{nb}/pull",
)
#: What a connection's kind answers ``unsupported`` (400) to, valid data or not.
UNSUPPORTED = {
    "fake": (
        "GET /connections/{conn}/notebooks/{nb}/executions/{ex}/open",
        "GET /connections/{conn}/notebooks/{nb}/schedule",
        "PUT /connections/{conn}/notebooks/{nb}/schedule",
        "DELETE /connections/{conn}/notebooks/{nb}/schedule",
    ),
    "local": (
        "GET /connections/{conn}/notebooks/{nb}/executions/{ex}/open",
        "PUT /connections/{conn}/token",
        "DELETE /connections/{conn}/token",
        "POST /connections/{conn}/notebooks/{nb}/input-export",
    ),
}


def fuzz_config(server: ChildServer, ids: dict[str, str]) -> SchemathesisConfig:
    """Every check the spec decides, a fixed seed, and the connection's real ids.

    The ids are fixed path parameters, so requests reach past the 404s into
    each route's parsing. ``positive_data_acceptance`` is off for valid data
    the server rightly refuses, and so that the spec states each kind's id
    format as their union, for nothing else.
    """
    refused = CROSS_FIELD + UNSUPPORTED.get(ids["conn"], ())
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            # Nothing carried over from an earlier run: each run is the same.
            "cache": {"enabled": False},
            "base-url": server.api(),
            "headers": server.headers,
            "parameters": {f"path.{name}": ids[name] for name in ("conn", "nb", "ex")},
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "checks": {
                "enabled": False,
                **{name: {"enabled": True} for name in CHECKS},
            },
            "operations": [
                # Deleting the notebook every other operation uses would leave them only 404s.
                {"include-name": DELETE_NOTEBOOK, "parameters": {"path.nb": ids["doomed"]}},
                *(
                    {
                        "include-name": label,
                        "checks": {"positive_data_acceptance": {"enabled": False}},
                    }
                    for label in refused
                ),
            ],
            "request-timeout": 30,
        }
    )


def _text(response: Any) -> str:
    content = getattr(response, "content", None) or b""
    return bytes(content)[:300].decode("utf-8", "replace")


def failures(events: list[Any]) -> list[str]:
    """Each failed check of a run, with the request that shows it, in a few lines."""
    found: list[str] = []
    for event in events:
        if isinstance(event, NonFatalError):
            found.append(f"{event.label}: error: {event.info.format()}")
        if not isinstance(event, ScenarioFinished) or event.status is not Status.FAILURE:
            continue
        for case_id, checks in event.recorder.checks.items():
            interaction = event.recorder.interactions.get(case_id)
            answer = ""
            if interaction is not None and interaction.response is not None:
                answer = f"  -> {interaction.response.status_code} {_text(interaction.response)}\n"
            for check in checks:
                if check.status is Status.FAILURE and check.failure_info is not None:
                    failure = check.failure_info.failure
                    found.append(
                        f"{event.label}: {check.name}: {failure.title}\n  {failure.message}\n"
                        f"{answer}  {check.failure_info.code_sample}"
                    )
    return sorted(set(found))


@pytest.mark.parametrize("conn", TARGETS)
def test_the_server_keeps_the_spec(fuzz_server: ChildServer, conn: str) -> None:
    ids = fuzz_server.real_ids(conn)
    schema = schemathesis.openapi.from_path(SPEC_PATH, config=fuzz_config(fuzz_server, ids))
    events = list(schemathesis.engine.from_schema(schema).execute())
    finished = [e for e in events if isinstance(e, ScenarioFinished) and e.is_test_scenario]
    assert finished, "schemathesis ran nothing"
    found = failures(events)
    assert not found, (
        f"{len(found)} disagreements with openapi.yaml:\n"
        + "\n".join(found)
        + f"\n--- the end of the server's log ---\n{fuzz_server.log_tail()}"
    )

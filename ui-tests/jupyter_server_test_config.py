"""Jupyter Server configuration for the galata UI tests.

Started by ``jlpm start`` (Playwright's ``webServer``). Besides galata's usual
test setup (port 8888, no token, a throw-away root directory) it:

* enables the ``jupyter_notebook_remote`` server extension;
* starts the loopback fake of the Losant API in this process (its own daemon
  thread) and configures a ``fake-losant`` connection to it, next to the
  ``local`` connection, which stays the default (as with no configuration);
* gives ``fake-losant`` no token in the configuration: the specs set it the
  way a user does (``PUT connections/fake-losant/token``, or the panel), so
  "Forget token" really leaves the connection without one;
* starts the loopback fakes of Civis and 4pointx the same way, as the
  connections ``fake-civis`` and ``fake-4pointx`` with their tokens
  configured. A Civis deployment started through the API runs until it is
  stopped and falls asleep (its idle timeout) ``CIVIS_SLEEP_SECONDS`` after
  it started running, so a spec sees it running, then sleeping;
* keeps every piece of state (token store, local runs) in a temporary
  directory, so a test run never touches the user's Jupyter data;
* writes where the fake listens to ``fake-losant.json`` (see
  ``STATE_FILE``) so a spec can inject faults into it.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from jupyterlab.galata import configure_jupyter_server

from jupyter_notebook_remote.tests.fakes.civis import FakeCivis, FakeDeployment
from jupyter_notebook_remote.tests.fakes.fourpointx import FakeFourPointX
from jupyter_notebook_remote.tests.fakes.losant import FakeLosant

c = get_config()  # type: ignore[name-defined]  # noqa: F821

configure_jupyter_server(c)
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.allow_root = True
c.ServerApp.jpserver_extensions = {"jupyter_notebook_remote": True}

# Where the specs find the fake (tests/helpers.ts reads the same default).
STATE_FILE = Path(
    os.environ.get(
        "NOTEBOOK_REMOTE_UI_STATE",
        str(Path(__file__).resolve().parent / "test-state" / "fake-losant.json"),
    )
)

state_dir = Path(tempfile.mkdtemp(prefix="notebook-remote-ui-"))
# Remove the temporary directories of this run when the server stops.
for temporary in (
    state_dir,
    c.LabApp.workspaces_dir,
    None if "JUPYTERLAB_GALATA_ROOT_DIR" in os.environ else c.ServerApp.root_dir,
):
    if temporary:
        atexit.register(shutil.rmtree, temporary, ignore_errors=True)

fake = FakeLosant().start()

#: Seconds a Civis deployment runs before it falls asleep.
CIVIS_SLEEP_SECONDS = 4.0


class SleepyCivis(FakeCivis):
    """Civis whose deployments fall asleep, as an idle notebook server does."""

    def add_deployment(self, notebook_id: int, **kwargs: Any) -> FakeDeployment:
        kwargs.setdefault("sleep_after_seconds", CIVIS_SLEEP_SECONDS)
        return super().add_deployment(notebook_id, **kwargs)


civis = SleepyCivis(pending_seconds=0.5, running_seconds=None).start()
fourpointx = FakeFourPointX().start()

c.NotebookRemote.token_store_path = str(state_dir / "tokens.json")
c.NotebookRemote.local_data_dir = str(state_dir / "local")
c.NotebookRemote.connections = {
    "fake-losant": {
        "kind": "losant",
        "label": "Fake Losant",
        "base_url": fake.url,
        "application_id": fake.application_id,
    },
    "fake-civis": {
        "kind": "civis",
        "label": "Fake Civis",
        "base_url": civis.url,
        "token": civis.token,
    },
    "fake-4pointx": {
        "kind": "fourpointx",
        "label": "Fake 4pointx",
        "base_url": fourpointx.url,
        "token": fourpointx.token,
    },
}
c.NotebookRemote.default_connection = "local"

STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
STATE_FILE.write_text(
    json.dumps(
        {
            "url": fake.url,
            "applicationId": fake.application_id,
            # The specs save it as a user would, and check it never reaches the page.
            "token": fake.token,
            "stateDir": str(state_dir),
        },
        indent=2,
    )
    + "\n"
)

/**
 * Playwright configuration for the Jupyter Notebook 7 tests (notebook7/).
 *
 * The same server configuration as the galata tests, started as
 * `jupyter notebook` on port 8889 with the application exposed as
 * `window.jupyterapp`. Plain Playwright: galata's fixtures are JupyterLab's.
 */
const lab = require('./playwright.config');

const PORT = 8889;

module.exports = {
  ...lab,
  testDir: './notebook7',
  use: { ...lab.use, baseURL: `http://127.0.0.1:${PORT}` },
  webServer: {
    ...lab.webServer,
    command:
      'jupyter notebook --config jupyter_server_test_config.py ' +
      `--ServerApp.port=${PORT} --JupyterNotebookApp.expose_app_in_browser=True`,
    url: `http://127.0.0.1:${PORT}/tree`,
    // Its fake Losant's state apart from the galata server's.
    env: {
      ...process.env,
      NOTEBOOK_REMOTE_UI_STATE: require('path').resolve(
        __dirname,
        'test-state',
        'fake-losant-notebook7.json'
      )
    }
  }
};

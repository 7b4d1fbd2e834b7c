/**
 * Playwright configuration for the galata UI tests.
 *
 * JupyterLab is started by `jlpm start` with jupyter_server_test_config.py,
 * which also starts the in-process fake Losant. The browser is the system
 * Chromium (Playwright's own browser download is not reachable everywhere);
 * override it with CHROMIUM_PATH.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// Another port lets a second checkout's tests run beside these.
const PORT = process.env.NOTEBOOK_REMOTE_UI_PORT || '8888';

module.exports = {
  ...baseConfig,
  // notebook7/ has its own configuration (playwright.notebook7.config.js).
  testDir: './tests',
  reporter: [['list'], ['html', { open: 'never' }]],
  retries: 0,
  workers: 1,
  timeout: 120000,
  expect: { timeout: 30000 },
  use: {
    ...baseConfig.use,
    baseURL: `http://127.0.0.1:${PORT}`,
    // Tall enough for the whole panel in the screenshots of screenshots/.
    viewport: { width: 1280, height: 1200 },
    // Video needs Playwright's ffmpeg download; traces are not kept either.
    video: 'off',
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run'
      ]
    }
  },
  webServer: {
    command: `jlpm start --ServerApp.port=${PORT}`,
    url: `http://127.0.0.1:${PORT}/lab`,
    timeout: 120000,
    reuseExistingServer: !process.env.CI,
    // Let Jupyter stop its kernels and remove its temporary state.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 10000 },
    stdout: 'pipe',
    stderr: 'pipe'
  }
};

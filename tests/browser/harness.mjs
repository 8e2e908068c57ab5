// Shared set-up of the headless-Chromium tests and benchmarks: the repository's paths, the
// page's model manifest, and a static server over www/ with Debian's Chromium (its flags:
// docs/DESIGN.md, "Testing").
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './server.mjs';

/** The repository root, with a trailing slash. */
export const root = fileURLToPath(new URL('../../', import.meta.url));
/** Where screenshots go (gitignored; created on import). */
export const artifacts = `${root}tests/browser/artifacts`;
mkdirSync(artifacts, { recursive: true });
/** www/models/manifest.json, parsed. */
export const manifest = JSON.parse(readFileSync(`${root}www/models/manifest.json`, 'utf8'));

const FLAGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Serves www/ (or `site`) on a free port and launches headless Chromium (`$CHROMIUM`, else
 * /usr/bin/chromium); `webgpu` adds `--enable-unsafe-webgpu` (SwiftShader's adapter).
 * Returns `{server, browser, close}`; `close()` stops both.
 */
export async function launch({ webgpu = false, site = `${root}www` } = {}) {
  const server = await startServer({ root: site });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [...(webgpu ? ['--enable-unsafe-webgpu'] : []), ...FLAGS],
  });
  return {
    server,
    browser,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

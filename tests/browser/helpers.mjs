// Shared by the browser tests: the server under test, the system's Chromium, and a host page
// served from another origin.

import http from 'node:http';
import { chromium } from 'playwright-core';

/** The meetingmap server under test (started by tests/browser.rs). */
export const BASE = process.env.MEETINGMAP_BASE_URL;
if (!BASE) throw new Error('MEETINGMAP_BASE_URL is not set: run these tests with `cargo test --test it browser`');

/** Where the finder is set to search at first. */
export const NEAR = process.env.MEETINGMAP_NEAR || 'LL11';

// The machine has no network but package registries: without these, Chromium waits on Google.
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Debian's Chromium, never a downloaded browser; Playwright gives it a fresh temporary profile. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.MEETINGMAP_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
  });
}

/** Serves `html` at `/` from 127.0.0.1 on a port of its own: a different origin from the API. */
export async function hostPage(html) {
  const server = http.createServer((req, res) => {
    if (req.url === '/' || req.url.startsWith('/?')) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(html);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  // Chromium keeps connections alive: end them, or closing would wait for them.
  return {
    origin,
    close: () => new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    }),
  };
}

/** The API's answer, for comparing with what the finder shows. */
export async function api(pathAndQuery) {
  const response = await fetch(BASE + pathAndQuery);
  return { status: response.status, body: await response.json() };
}

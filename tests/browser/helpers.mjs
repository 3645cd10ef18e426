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

/**
 * Serves a small site from 127.0.0.1 on a port of its own (another origin than the API):
 * `pages` maps paths to HTML, `dirs` maps path prefixes to directories whose files are served
 * as they are (a client's bundle, from where it is installed, never copied into the repository).
 */
export async function hostSite(pages, dirs = {}) {
  const { readFile } = await import('node:fs/promises');
  const path = await import('node:path');
  const types = { '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf', '.png': 'image/png', '.map': 'application/json' };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (pages[url.pathname] !== undefined) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(pages[url.pathname]);
      return;
    }
    for (const [prefix, dir] of Object.entries(dirs)) {
      if (!url.pathname.startsWith(prefix)) continue;
      const file = path.resolve(dir, '.' + decodeURIComponent(url.pathname.slice(prefix.length - 1)));
      if (!file.startsWith(path.resolve(dir))) break;
      try {
        const body = await readFile(file);
        res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
        res.end(body);
        return;
      } catch {
        break;
      }
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, close: () => new Promise((resolve) => server.close(resolve)) };
}

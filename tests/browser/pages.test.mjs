// The server's pages in Chromium: a meeting's page and the landing page, in English and Welsh.
// Both work with scripts off, pass axe-core with no violations at all, make no request beyond
// the server, and the meeting page prints on A4. Screenshots are written for a person to review:
// target/meeting-page.png, target/meeting-page-cy.png, target/meeting-page-phone.png,
// target/landing.png, and the print as target/meeting-page.pdf.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import { BASE, launch } from './helpers.mjs';

const MEETING = process.env.MEETINGMAP_PAGE_MEETING;
const A4 = [595.28, 841.89]; // points
const TARGET = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../target');

let browser;

before(async () => {
  assert.ok(MEETING, 'MEETINGMAP_PAGE_MEETING names the meeting whose page to open');
  mkdirSync(TARGET, { recursive: true });
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** Every axe-core violation, whatever its impact: these pages have no excuse for any. */
async function violations(page) {
  await page.evaluate(axe.source);
  const results = await page.evaluate(() => window.axe.run(document, {
    resultTypes: ['violations'],
    rules: { 'target-size': { enabled: true } },
  }));
  return results.violations
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' > ')).join(', ')}`);
}

/** A page opened with JavaScript off, recording every request the browser makes. */
async function open(url, options = {}) {
  const context = await browser.newContext({ javaScriptEnabled: false, ...options });
  const requests = [];
  context.on('request', (request) => requests.push(request.url()));
  const page = await context.newPage();
  const response = await page.goto(url);
  return { context, page, response, requests };
}

test('a meeting page shows when, where and how, without scripts, and passes axe', async () => {
  const { context, page, response, requests } = await open(`${BASE}/meetings/${MEETING}`, {
    viewport: { width: 1280, height: 900 },
  });
  assert.equal(response.status(), 200);
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  const text = await page.locator('main').innerText();
  for (const expected of ['Cardiff Tuesday Step', 'Alcoholics Anonymous', 'CF10 1AA', 'Next sessions',
    'Step-free access', 'On foot', 'By car', 'By bus or train', 'Zoom', '0800 9177 650', 'Report a problem']) {
    assert.ok(text.includes(expected), `the page says ${expected}`);
  }
  const sessions = await page.locator('ol.sessions time').evaluateAll((els) => els.map((el) => el.dateTime));
  assert.equal(sessions.length, 4);
  for (const at of sessions) {
    // Tuesdays at 19:30 in London: checked by the instant's weekday there, not today's date.
    const local = new Date(at).toLocaleString('en-GB', { timeZone: 'Europe/London', weekday: 'long', hour: '2-digit', minute: '2-digit' });
    assert.equal(local, 'Tuesday 19:30', at);
  }
  await page.screenshot({ path: path.join(TARGET, 'meeting-page.png'), fullPage: true });
  // axe needs its script: run it in a page with scripts on, same content.
  await context.close();
  const withScripts = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const scanned = await withScripts.newPage();
  await scanned.goto(`${BASE}/meetings/${MEETING}`);
  assert.deepEqual(await violations(scanned), []);
  await withScripts.close();
  const elsewhere = requests.filter((url) => !url.startsWith(BASE));
  assert.deepEqual(elsewhere, [], 'no request leaves the server');
});

test('on a phone the meeting page fits the width', async () => {
  const { context, page } = await open(`${BASE}/meetings/${MEETING}`, { viewport: { width: 320, height: 700 } });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${overflow}px of sideways scrolling at 320px`);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(TARGET, 'meeting-page-phone.png'), fullPage: true });
  await context.close();
});

test('the meeting page in Welsh', async () => {
  const { context, page, response } = await open(`${BASE}/meetings/${MEETING}?lang=cy`, {
    viewport: { width: 1280, height: 900 },
  });
  assert.equal(response.status(), 200);
  assert.equal(await page.locator('html').getAttribute('lang'), 'cy');
  const text = await page.locator('main').innerText();
  for (const expected of ['Cyfeiriad', 'Cyfarwyddiadau', 'Dydd Mawrth', 'Y sesiynau nesaf']) {
    assert.ok(text.includes(expected), `the Welsh page says ${expected}`);
  }
  await page.screenshot({ path: path.join(TARGET, 'meeting-page-cy.png'), fullPage: true });
  await context.close();
  // The browser's language chooses when the link does not.
  const welsh = await open(`${BASE}/meetings/${MEETING}`, { locale: 'cy-GB' });
  assert.equal(await welsh.page.locator('html').getAttribute('lang'), 'cy');
  await welsh.context.close();
});

test('the meeting page prints on A4 with its links written out', async () => {
  const { context, page } = await open(`${BASE}/meetings/${MEETING}`);
  const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
  writeFileSync(path.join(TARGET, 'meeting-page.pdf'), pdf);
  const text = pdf.toString('latin1');
  const boxes = [...text.matchAll(/\/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]/g)]
    .map((m) => [Number(m[3]) - Number(m[1]), Number(m[4]) - Number(m[2])]);
  assert.ok(boxes.length >= 1);
  for (const [width, height] of boxes) {
    assert.ok(Math.abs(width - A4[0]) <= 1 && Math.abs(height - A4[1]) <= 1, `page is ${width} x ${height} pt, not A4`);
  }
  // In print the header's navigation is hidden and link addresses are shown.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('header.site nav').isVisible(), false);
  const after = await page.evaluate(() => getComputedStyle(document.querySelector('a.print-url'), '::after').content);
  assert.match(after, /openstreetmap\.org/);
  await context.close();
});

test('an unknown meeting is a page for people, not an error document', async () => {
  const { context, page, response } = await open(`${BASE}/meetings/no-such-meeting`);
  assert.equal(response.status(), 404);
  assert.match(await page.locator('h1').innerText(), /Meeting not found/);
  assert.ok(await page.locator('a[href="/embed?lang=en"]').count() > 0, 'it offers a search, in its language');
  await context.close();
});

test('a browser following an API link is shown the page', async () => {
  const { context, page, response } = await open(`${BASE}/v1/meetings/${MEETING}`);
  assert.equal(response.status(), 200);
  assert.equal(new URL(page.url()).pathname, `/meetings/${MEETING}`);
  await context.close();
});

test('the landing page links everything and passes axe', async () => {
  const { context, page, response, requests } = await open(`${BASE}/`, { viewport: { width: 1280, height: 900 } });
  assert.equal(response.status(), 200);
  for (const href of ['/embed?lang=en', '/handout', '/v1/coverage?format=html', '/docs/', '/v1/sources']) {
    assert.equal(await page.locator(`nav.main a[href="${href}"]`).count(), 1, href);
  }
  const text = await page.locator('main').innerText();
  assert.match(text, /[\d,]+ meetings from (one source|[\d,]+ sources)\./);
  assert.match(text, /OS data © Crown copyright/);
  await page.screenshot({ path: path.join(TARGET, 'landing.png'), fullPage: true });
  await context.close();
  assert.deepEqual(requests.filter((url) => !url.startsWith(BASE)), []);
  for (const lang of ['en', 'cy']) {
    const scanned = await browser.newPage();
    await scanned.goto(`${BASE}/?lang=${lang}`);
    assert.deepEqual(await violations(scanned), [], lang);
    await scanned.close();
  }
});

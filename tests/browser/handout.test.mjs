// The printable hand-out in Chromium: it prints to PDF on A4 pages, and nothing is wider than
// an A4 page's printable width.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch } from './helpers.mjs';

const QUERY = process.env.MEETINGMAP_HANDOUT_QUERY;
const A4 = [595.28, 841.89]; // points
// 210 mm less the hand-out's 12 mm page margins, in CSS pixels (96 per inch).
const PRINTABLE_WIDTH_PX = Math.floor(((210 - 2 * 12) / 25.4) * 96);

let browser;

before(async () => {
  assert.ok(QUERY, 'MEETINGMAP_HANDOUT_QUERY names the hand-out to print');
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** Each page's MediaBox in a PDF (Chromium writes page objects uncompressed). */
function mediaBoxes(pdf) {
  const text = pdf.toString('latin1');
  const pages = text.match(/\/Type\s*\/Page\b/g) || [];
  const boxes = [...text.matchAll(/\/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]/g)]
    .map((m) => [Number(m[3]) - Number(m[1]), Number(m[4]) - Number(m[2])]);
  return { pages: pages.length, boxes };
}

test('the hand-out prints to several A4 pages', async () => {
  const page = await browser.newPage();
  const response = await page.goto(`${BASE}/v1/handout?${QUERY}`);
  assert.equal(response.status(), 200);
  const rows = await page.locator('tbody tr').count();
  assert.ok(rows >= 50, `${rows} meetings listed`);
  const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  const { pages, boxes } = mediaBoxes(pdf);
  assert.ok(pages >= 3, `${pages} pages`);
  assert.equal(boxes.length, pages, 'every page has its own MediaBox');
  for (const [width, height] of boxes) {
    assert.ok(Math.abs(width - A4[0]) <= 1 && Math.abs(height - A4[1]) <= 1, `page is ${width} x ${height} pt, not A4`);
  }
  await page.close();
});

test('the client journal prints on one A4 page of its own after the list', async () => {
  const page = await browser.newPage();
  await page.goto(`${BASE}/v1/handout?${QUERY}`);
  const without = mediaBoxes(await page.pdf({ preferCSSPageSize: true })).pages;
  await page.goto(`${BASE}/v1/handout?${QUERY}&journal=true`);
  const { pages, boxes } = mediaBoxes(await page.pdf({ preferCSSPageSize: true }));
  assert.equal(pages, without + 1, `${pages} pages with the journal, ${without} without`);
  for (const [width, height] of boxes) {
    assert.ok(Math.abs(width - A4[0]) <= 1 && Math.abs(height - A4[1]) <= 1, `page is ${width} x ${height} pt, not A4`);
  }
  // Starting a page of its own: the list's last page is not shared with the journal.
  const startsPage = await page.evaluate(() => getComputedStyle(document.querySelector('section.journal')).breakBefore);
  assert.equal(startsPage, 'page');
  await page.close();
});

test('printed at A4 width, nothing overflows sideways and long links wrap', async () => {
  const page = await browser.newPage({ viewport: { width: PRINTABLE_WIDTH_PX, height: 1000 } });
  await page.emulateMedia({ media: 'print' });
  await page.goto(`${BASE}/v1/handout?${QUERY}&journal=true`);
  const layout = await page.evaluate(() => {
    const root = document.documentElement;
    const links = [...document.querySelectorAll('.url')];
    return {
      scroll: root.scrollWidth,
      client: root.clientWidth,
      links: links.length,
      wideLinks: links.filter((el) => el.scrollWidth > el.clientWidth).length,
      widest: Math.max(...[...document.querySelectorAll('body *')].map((el) => el.getBoundingClientRect().right)),
    };
  });
  assert.ok(layout.links > 0, 'the hand-out has online links');
  assert.ok(layout.scroll <= layout.client, JSON.stringify(layout));
  assert.ok(layout.widest <= layout.client + 0.5, JSON.stringify(layout));
  assert.equal(layout.wideLinks, 0, JSON.stringify(layout));
  await page.close();
});

test('a 30-meeting hand-out prints on two A4 pages with directions, QR codes and helplines', async () => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const query = process.env.MEETINGMAP_HANDOUT30_QUERY;
  assert.ok(query, 'MEETINGMAP_HANDOUT30_QUERY names the 30-meeting search');
  const page = await browser.newPage();
  const response = await page.goto(`${BASE}/v1/handout?${query}`);
  assert.equal(response.status(), 200);
  assert.equal(await page.locator('td.time').count(), 30);
  assert.equal(await page.locator('svg.qr').count(), 30);
  const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
  const dir = mkdtempSync(join(tmpdir(), 'handout-'));
  writeFileSync(join(dir, 'handout.pdf'), pdf);
  const { pages, boxes } = mediaBoxes(pdf);
  assert.ok(pages <= 2, `${pages} pages for 30 meetings (${join(dir, 'handout.pdf')})`);
  for (const [width, height] of boxes) {
    assert.ok(Math.abs(width - A4[0]) <= 1 && Math.abs(height - A4[1]) <= 1, `page is ${width} x ${height} pt, not A4`);
  }
  const text = execFileSync('pdftotext', ['-layout', join(dir, 'handout.pdf'), '-'], { encoding: 'utf8' });
  for (const mode of ['Walk:', 'Drive:', 'Bus/train:']) {
    const count = text.split(mode).length - 1;
    assert.equal(count, 30, `${mode} on every row`);
  }
  assert.match(text, /Traveline/);
  assert.match(text, /0800 9177 650/, 'the AA helpline');
  // The finder's meetings include SMART; none is Al-Anon.
  assert.match(text, /No Al-Anon meetings are listed: this directory has no Al-Anon source yet/);
  assert.match(text, /0800 0086 811/, 'the Al-Anon helpline');
  assert.doesNotMatch(text, /Closed Norwich group/);
  assert.match(text, /1 temporarily closed meeting is left out/);
  await page.close();
});

test('the hand-out builder works without JavaScript and has no axe violations', async () => {
  const axe = (await import('axe-core')).default;
  const page = await browser.newPage();
  await page.goto(`${BASE}/handout?near=LL11`);
  await page.evaluate(axe.source);
  const results = await page.evaluate(() => window.axe.run(document, {
    resultTypes: ['violations'],
    rules: { 'target-size': { enabled: true } },
  }));
  assert.deepEqual(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), []);
  await page.close();

  const context = await browser.newContext({ javaScriptEnabled: false });
  const form = await context.newPage();
  await form.goto(`${BASE}/handout`);
  await form.getByLabel('Postcode or place').fill('LL11');
  await form.getByLabel('Alcoholics Anonymous').check();
  await form.getByLabel('Choosing a group').check();
  await Promise.all([form.waitForURL(/\/v1\/handout\?/), form.getByRole('button', { name: 'Make the hand-out' }).click()]);
  assert.match(form.url(), /near=LL11/);
  assert.match(form.url(), /fellowship=aa/);
  assert.equal(await form.locator('h1').textContent(), 'Local mutual aid group information');
  assert.equal(await form.locator('section.choosing').count(), 1);
  await context.close();
});

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

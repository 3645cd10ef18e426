// TSML UI, the meeting finder many AA intergroups embed, on another origin's page with `data-src`
// pointed at our Meeting Guide feed: every meeting we serve for the search is listed (TSML UI
// silently drops records that break its rules), at the right day and time, and a meeting's
// detail opens. Started by tests/it/browser.rs, which passes the bundle's path (the bundle is
// served from where it is kept, never copied into the repository).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { BASE, launch, hostSite } from './helpers.mjs';

const BUNDLE = process.env.MEETINGMAP_TSML_UI;
const QUERY = process.env.MEETINGMAP_FEED_QUERY;
const COUNT = Number(process.env.MEETINGMAP_FEED_COUNT);
const SHOTS = process.env.MEETINGMAP_SCREENSHOTS;
/** Told apart from the synthetic run's screenshots: `-uk` for the real dump's. */
const SUFFIX = process.env.MEETINGMAP_SHOT_SUFFIX || '';
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** `19:30` as TSML UI writes it in English: `7:30 PM`. */
function twelveHour(time) {
  const [h, m] = time.split(':').map(Number);
  return `${((h + 11) % 12) + 1}:${String(m).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
}

test('TSML UI lists every meeting of our Meeting Guide feed, at its day and time, and opens one', { skip: !BUNDLE && 'no TSML UI bundle given' }, async () => {
  const feedUrl = `${BASE}/v1/feeds/meeting-guide.json?${QUERY}`;
  const feed = await (await fetch(feedUrl)).json();
  assert.equal(feed.length, COUNT, 'the feed serves every meeting of the search');
  const site = await hostSite(
    {
      '/': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Meetings</title></head><body>
<div id="tsml-ui" data-src="${feedUrl}" data-timezone="Europe/London"></div>
<script src="/tsml-ui/app.js" async></script></body></html>`,
    },
    { '/tsml-ui/': path.dirname(BUNDLE) },
  );
  assert.notEqual(new URL(site.origin).port, new URL(BASE).port, 'the page is on another origin');
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 1200, height: 1400 }, timezoneId: 'Europe/London', locale: 'en-GB' });
    const page = await context.newPage();
    const dropped = [];
    page.on('console', (m) => { if (/timezone|unknown conference|duplicate|slug/i.test(m.text())) dropped.push(m.text()); });
    // A fixed Monday morning before any meeting starts: nothing depends on when the test runs.
    await page.clock.setFixedTime(new Date('2026-11-02T09:00:00Z'));
    await page.goto(site.origin + '/');
    const rows = page.locator('#tsml-ui tbody tr');
    await rows.first().waitFor();
    // TSML UI lists 25 rows at a time and adds more as the reader scrolls to the end. Scroll
    // until a scroll adds no row within 5 s: a fixed half-second pause stopped at 50 of 173 on
    // a loaded machine.
    for (;;) {
      const seen = await rows.count();
      await page.mouse.wheel(0, 100000);
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      const grew = await page
        .waitForFunction((n) => document.querySelectorAll('#tsml-ui tbody tr').length > n, seen, { timeout: 5000 })
        .then(() => true, () => false);
      if (!grew) break;
    }

    // Every meeting, none dropped by TSML UI's rules.
    assert.equal(await rows.count(), COUNT, `TSML UI lists ${await rows.count()} of ${COUNT}: ${dropped.join('; ')}`);
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => ({
      name: tr.querySelector('.tsml-name')?.textContent.trim(),
      time: [...tr.querySelectorAll('.tsml-time time span')].map((s) => s.textContent.trim()),
      href: tr.querySelector('.tsml-name a')?.getAttribute('href'),
    })));
    assert.deepEqual(shown.map((r) => r.href).sort(), feed.map((m) => `#/${m.slug}`).sort());
    for (const meeting of feed) {
      const row = shown.find((r) => r.href === `#/${meeting.slug}`);
      assert.equal(row.name, meeting.name);
      if (meeting.time !== undefined) {
        assert.deepEqual(row.time, [twelveHour(meeting.time), DAYS[meeting.day]], meeting.name);
      }
    }
    // Online meetings count as online (a known video service or a phone line), real venues as in
    // person.
    const typeCounts = await page.locator('#type + .tsml-dropdown button').evaluateAll((bs) =>
      Object.fromEntries(bs.map((b) => [b.querySelector('span')?.textContent ?? b.textContent, Number(b.querySelectorAll('span')[1]?.textContent)])));
    const rooms = feed.filter((m) => m.approximate === 'no' && !m.types.includes('TC')).length;
    assert.equal(typeCounts['In-person'] ?? 0, rooms);
    assert.equal(typeCounts.Online ?? 0, feed.filter((m) => m.conference_url || m.conference_phone).length);
    await page.screenshot({ path: path.join(SHOTS, `tsml-ui${SUFFIX}.png`), fullPage: true });

    // A meeting's detail (a hybrid one where there is one): name, day, time and venue.
    const open = feed.find((m) => m.conference_url && m.approximate === 'no' && m.time)
      ?? feed.find((m) => m.approximate === 'no' && m.time && m.location);
    await page.locator(`#tsml-ui .tsml-name a[href="#/${open.slug}"]`).click();
    await page.locator('#tsml-ui h1', { hasText: open.name }).waitFor();
    const detail = await page.locator('#tsml-ui').innerText();
    assert.match(detail, new RegExp(DAYS[open.day]));
    assert.match(detail, new RegExp(twelveHour(open.time)));
    if (open.location) assert.ok(detail.includes(open.location), open.location);
    if (open.conference_url) assert.match(detail, /Zoom|Teams|Meet|Webex|Join/i, 'the join link is offered');
    await page.screenshot({ path: path.join(SHOTS, `tsml-ui${SUFFIX}-detail.png`), fullPage: true });
  } finally {
    await browser.close();
    await site.close();
  }
});

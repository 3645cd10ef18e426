// The embeddable finder in Chromium, on a page from another origin and in an iframe: meetings
// by day, filters, errors, keyboard use, privacy, phone width and an axe-core scan.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import axe from 'axe-core';
import { api, BASE, hostPage, launch, NEAR } from './helpers.mjs';

// A host page whose CSS would wreck any widget it reached: the finder must not notice it.
const HOST_HTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>An agency's page</title>
<link rel="icon" href="data:,">
<style>
  * { font-size: 9px !important; letter-spacing: 3px !important; }
  ul, li { display: inline !important; }
  h3, h4, button, input, fieldset { display: none !important; }
</style></head>
<body><header><p><a id="before" href="#before">Agency home</a></p></header>
<main><h1>Find a meeting</h1>
<script src="${BASE}/embed.js" data-fellowship="aa,na" data-near="${NEAR}" async></script>
</main>
<footer><p><a id="after" href="#after">Contact the agency</a></p></footer>
</body></html>`;

const FRAME_QUERY = `fellowship=na&near=${encodeURIComponent(NEAR)}&time=evening`;
const FRAME_HTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>An agency's page with a frame</title><link rel="icon" href="data:,"></head>
<body><main><h1>Meetings</h1>
<iframe src="${BASE}/embed?${FRAME_QUERY}" title="Mutual aid meetings near you" width="600" height="900"></iframe>
</main></body></html>`;

// The finder placed by data-target, beside the page's own controls, which its CSS must not touch.
const TARGET_HTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>An agency's page with a place for the finder</title>
<link rel="icon" href="data:,"></head>
<body><main><h1>Meetings</h1>
<script src="${BASE}/embed.js" data-near="${NEAR}" data-target="#finder-here" async></script>
<h2 id="host-heading">Our own services</h2><button id="host-button" type="button">Call us</button>
<div id="finder-here"></div>
</main></body></html>`;

let browser;
let host;
let framer;
let targeted;

before(async () => {
  browser = await launch();
  host = await hostPage(HOST_HTML);
  framer = await hostPage(FRAME_HTML);
  targeted = await hostPage(TARGET_HTML);
});

after(async () => {
  await browser?.close();
  await host?.close();
  await framer?.close();
  await targeted?.close();
});

/** A fresh browser context on the host page, recording every request it makes. */
async function open(contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  const requests = [];
  context.on('request', (request) => requests.push(request.url()));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(host.origin);
  const status = await settled(page);
  return { context, page, requests, errors, status };
}

/** Waits until the finder has answered (its status is set and no search is under way). */
async function settled(frame) {
  await frame.waitForFunction(() => {
    const root = document.querySelector('meetingmap-finder')?.shadowRoot;
    const text = root?.querySelector('.mm-status')?.textContent || '';
    return text !== '' && !text.endsWith('…') && !root.querySelector('.mm-days[aria-busy]');
  }, null, { timeout: 15000 });
  return frame.evaluate(() => document.querySelector('meetingmap-finder').shadowRoot.querySelector('.mm-status').textContent);
}

/** What the finder shows: days in order, each with its meetings. */
function shown(frame) {
  return frame.evaluate(() => {
    const root = document.querySelector('meetingmap-finder').shadowRoot;
    return [...root.querySelectorAll('.mm-day')].map((day) => ({
      date: day.dataset.date,
      heading: day.querySelector('.mm-day-title').textContent,
      meetings: [...day.querySelectorAll('.mm-meeting')].map((m) => ({
        name: m.querySelector('.mm-name').textContent,
        start: m.querySelector('time').getAttribute('datetime'),
        text: m.textContent,
      })),
    }));
  });
}

const meetingsOf = (days) => days.flatMap((day) => day.meetings);

/** Sessions the API lists for `query` this week, all pages. */
async function expected(query) {
  const { status, body } = await api(`/v1/occurrences?${query}&sort=time&limit=500`);
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

/** Clicks a control in the finder by its label and waits for the new results. */
async function choose(page, label) {
  await page.getByLabel(label, { exact: true }).click();
  return settled(page);
}

test('loads on another origin and shows this week\'s meetings by day', async () => {
  const { context, page, status, errors } = await open();
  const days = await shown(page);
  const want = await expected(`near=${NEAR}&fellowship=aa,na`);
  assert.ok(want.occurrences.length >= 8, 'the synthetic week has AA and NA meetings near the place');
  assert.equal(status, `${want.occurrences.length} meetings this week near ${want.resolved.label}.`);
  assert.deepEqual(
    meetingsOf(days).map((m) => [m.start, m.name]),
    want.occurrences.map((o) => [o.start, o.name]),
  );
  assert.ok(days.length >= 5, `grouped by day: ${days.map((d) => d.date)}`);
  // On a wide page the common filters sit in one bar, the two fellowships asked for ticked; the
  // rest wait behind "More filters".
  assert.ok(await page.getByLabel('Alcoholics Anonymous', { exact: true }).isChecked());
  assert.ok(await page.getByLabel('Narcotics Anonymous', { exact: true }).isChecked());
  assert.ok(await page.getByLabel('Time of day').isVisible());
  const moreFilters = page.locator('meetingmap-finder button[aria-controls="mm-panel"]');
  assert.equal(await moreFilters.getAttribute('aria-expanded'), 'false');
  assert.equal(await page.getByLabel('Wednesday').isVisible(), false);
  for (const [i, day] of days.entries()) {
    if (i > 0) assert.ok(day.date > days[i - 1].date, 'days in order, each once');
    for (const m of day.meetings) assert.equal(m.start.slice(0, 10), day.date, `${m.name} under its own day`);
    const weekday = new Date(`${day.date}T12:00:00Z`).toLocaleDateString('en-GB', { weekday: 'long', timeZone: 'UTC' });
    assert.ok(day.heading.includes(weekday), `${day.heading} names ${weekday}`);
  }
  // Each result: time, fellowship, open or closed, place, distance in words, links, freshness.
  const first = want.occurrences[0];
  const item = page.locator('meetingmap-finder .mm-meeting').first();
  assert.equal(await item.locator('time').first().textContent(), first.start.slice(11, 16));
  const text = await item.textContent();
  assert.match(text, /Alcoholics Anonymous|Narcotics Anonymous/);
  assert.match(text, /(Open|Closed) meeting/);
  assert.match(text, / kilometres? away/);
  assert.match(text, /Listed by Test feed, checked 1 November 2026/);
  assert.equal(
    await item.getByRole('link', { name: /^Add to calendar/ }).getAttribute('href'),
    `${BASE}/v1/meetings/${first.meeting_id}.ics`,
  );
  assert.equal(await item.getByRole('link', { name: /^Directions/ }).getAttribute('href'), first.directions_url);
  // The host page's CSS did not get in.
  const look = await page.evaluate(() => {
    const root = document.querySelector('meetingmap-finder').shadowRoot;
    const style = (selector) => getComputedStyle(root.querySelector(selector));
    return { font: style('.mm').fontSize, heading: style('h3').display, buttonShown: style('button').display !== 'none' };
  });
  assert.deepEqual(look, { font: '16px', heading: 'block', buttonShown: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a search links to the hand-out builder, pre-filled with the same search', async () => {
  const { context, page } = await open();
  await shown(page);
  const link = page.locator('meetingmap-finder a.mm-handout');
  assert.equal(await link.textContent(), 'Print a hand-out of this search');
  const href = new URL(await link.getAttribute('href'));
  assert.equal(href.origin + href.pathname, `${BASE}/handout`);
  assert.equal(href.searchParams.get('near'), NEAR);
  assert.equal(href.searchParams.get('fellowship'), 'aa,na');
  // The builder page opens with the search filled in.
  const builder = await context.newPage();
  const response = await builder.goto(href.toString());
  assert.equal(response.status(), 200);
  assert.equal(await builder.locator('input[name="near"]').inputValue(), NEAR);
  assert.ok(await builder.getByLabel('Alcoholics Anonymous').isChecked());
  assert.ok(await builder.getByLabel('Narcotics Anonymous').isChecked());
  await context.close();
});

test('filters narrow the meetings as the API does, and more pages load on request', async () => {
  const { context, page } = await open();
  const check = async (query, test) => {
    const status = await settled(page);
    const want = await expected(`near=${NEAR}&${query}`);
    const got = meetingsOf(await shown(page));
    assert.deepEqual(got.map((m) => m.name).sort(), want.occurrences.map((o) => o.name).sort(), `${query}: ${status}`);
    assert.ok(got.length > 0, `${query} finds something`);
    for (const m of got) assert.ok(test(m), `${query}: ${m.text}`);
  };

  await choose(page, 'Alcoholics Anonymous');
  await check('fellowship=na', (m) => m.text.includes('Narcotics Anonymous'));
  await page.getByRole('button', { name: 'More filters' }).click();

  await choose(page, 'Narcotics Anonymous');
  await choose(page, 'Closed: for people with the problem');
  await check('access=closed', (m) => m.text.includes('Closed meeting'));

  await choose(page, 'Wednesday');
  await check('access=closed&day=wed', (m) => new Date(`${m.start.slice(0, 10)}T12:00:00Z`).getUTCDay() === 3);

  await choose(page, 'Either');
  await page.getByLabel('Time of day').selectOption('evening');
  await check('day=wed&start_after=17:00', (m) => m.start.slice(11, 16) >= '17:00');

  await page.getByLabel('Travel', { exact: true }).selectOption('walk');
  await settled(page);
  await page.getByLabel('Within (minutes)').fill('60');
  await page.getByLabel('Within (minutes)').press('Enter');
  await check('day=wed&start_after=17:00&mode=walk&max_minutes=60', (m) => / min walking/.test(m.text));

  // Every day, every fellowship: more than a page, so "show more" fetches the rest.
  await choose(page, 'Wednesday');
  await page.getByLabel('Time of day').selectOption({ index: 0 });
  await page.getByLabel('Travel', { exact: true }).selectOption({ index: 0 });
  const status = await settled(page);
  const all = await expected(`near=${NEAR}`);
  assert.ok(all.occurrences.length > 20, 'the synthetic week is more than one page');
  assert.equal(status, `Showing the first 20 meetings this week near ${all.resolved.label}.`);
  await page.getByRole('button', { name: 'Show more meetings' }).click();
  assert.equal(await settled(page), `${all.occurrences.length} meetings this week near ${all.resolved.label}.`);
  assert.deepEqual(meetingsOf(await shown(page)).map((m) => m.start), all.occurrences.map((o) => o.start));
  const focused = await page.evaluate(() => document.querySelector('meetingmap-finder').shadowRoot.activeElement?.textContent);
  assert.equal(focused, all.occurrences[20].name, 'focus moves to the first meeting added');
  assert.equal(await page.getByRole('button', { name: 'Show more meetings' }).isVisible(), false);
  await context.close();
});

test('a place the API does not know shows its message and suggestions by the box', async () => {
  const { context, page } = await open();
  const { status, body } = await api('/v1/occurrences?near=LL99');
  assert.equal(status, 400);
  const reason = body.invalid_params.find((p) => p.name === 'near').reason.replace(/`/g, '');
  assert.match(reason, /did you mean LL19/);
  const box = page.getByLabel('Postcode or place');
  await box.fill('LL99');
  await box.press('Enter');
  const said = await settled(page);
  assert.ok(said.includes(reason), `status: ${said}`);
  const error = page.locator('meetingmap-finder #mm-near-error');
  assert.equal(await error.textContent(), `“LL99” ${reason}`);
  assert.equal(await box.getAttribute('aria-invalid'), 'true');
  assert.match(await box.getAttribute('aria-describedby'), /mm-near-error/);
  assert.equal(await page.locator('meetingmap-finder .mm-meeting').count(), 0);
  await context.close();
});

test('works by keyboard alone, with focus always visible and no trap', async () => {
  const { context, page } = await open({
    geolocation: { latitude: 53.0462, longitude: -2.993 },
    permissions: ['geolocation'],
  });
  // What has focus: an element of the page, or of the finder's shadow root.
  const focus = () => page.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    const style = getComputedStyle(el);
    return {
      id: el.id,
      tag: el.tagName.toLowerCase(),
      name: (el.getAttribute('aria-label') || el.labels?.[0]?.textContent || el.textContent || el.value || '').trim(),
      checked: el.checked,
      inFinder: el.getRootNode() !== document,
      visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    };
  });
  await page.keyboard.press('Tab');
  assert.equal((await focus()).id, 'before');
  // The first stop in the finder skips the search controls.
  await page.keyboard.press('Tab');
  assert.deepEqual([(await focus()).name, (await focus()).visible], ['Skip to results', true]);
  await page.keyboard.press('Tab');
  assert.deepEqual([(await focus()).id, (await focus()).visible], ['mm-near', true]);
  await page.keyboard.press('Control+A');
  await page.keyboard.type('LL11 1');
  await page.keyboard.press('Enter');
  assert.match(await settled(page), /meetings? this week near LL11 1\.$/);

  await page.keyboard.press('Tab');
  assert.deepEqual([(await focus()).name, (await focus()).visible], ['Search', true]);
  await page.keyboard.press('Tab');
  assert.deepEqual([(await focus()).name, (await focus()).visible], ['Use my location', true]);
  await page.keyboard.press('Enter');
  assert.match(await settled(page), /meetings? this week near your location\.$/);

  // The bar: when (a radio group, one stop), time of day, how you take part, fellowships.
  await page.keyboard.press('Tab');
  let now = await focus();
  assert.deepEqual([now.name, now.checked, now.visible], ['This week', true, true]);
  await page.keyboard.press('Tab');
  assert.equal((await focus()).id, 'mm-time');
  await page.keyboard.press('Tab');
  assert.equal((await focus()).id, 'mm-attendance');
  await page.keyboard.press('Tab');
  now = await focus();
  assert.deepEqual([now.name, now.checked, now.visible], ['Alcoholics Anonymous', true, true]);
  await page.keyboard.press('Space');
  await settled(page);
  assert.equal((await focus()).checked, false);
  for (const m of meetingsOf(await shown(page))) assert.ok(!m.text.includes('Alcoholics Anonymous'), m.text);

  await page.keyboard.press('Shift+Tab');
  assert.equal((await focus()).id, 'mm-attendance');
  // "More filters" opens the rest from the keyboard.
  for (let i = 0; i < 10 && (await focus()).name !== 'More filters (0 chosen)' && !(await focus()).name.startsWith('More filters'); i++) {
    await page.keyboard.press('Tab');
  }
  assert.match((await focus()).name, /^More filters/);
  await page.keyboard.press('Enter');
  assert.match((await focus()).name, /^Fewer filters/);

  // On through every control and result to the page after the finder.
  const seen = [];
  for (let i = 0; i < 400; i++) {
    await page.keyboard.press('Tab');
    now = await focus();
    if (now.id === 'after') break;
    assert.ok(now.inFinder, `focus left the finder early, at ${now.tag} ${now.id}`);
    assert.ok(now.visible, `focus is visible on ${now.tag} "${now.name}"`);
    seen.push(now.name);
  }
  assert.equal(now.id, 'after', 'Tab leaves the finder');
  for (const name of ['Words in the name', 'Wheelchair access', 'Either', 'Monday', 'Travel', 'List', 'Link to share']) {
    assert.ok(seen.some((s) => s.startsWith(name)), `Tab reaches ${name}: ${seen.join(' | ')}`);
  }
  await context.close();
});

test('data-target places the finder, and its CSS stays out of the page', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(targeted.origin);
  await settled(page);
  const placed = await page.evaluate(() => {
    const finder = document.querySelector('meetingmap-finder');
    const style = (el) => getComputedStyle(el);
    return {
      parent: finder.parentElement.id,
      meetings: finder.shadowRoot.querySelectorAll('.mm-meeting').length,
      // Chromium's defaults, not the finder's blue buttons and 1.3em headings.
      button: style(document.getElementById('host-button')).backgroundColor,
      heading: style(document.getElementById('host-heading')).fontSize,
    };
  });
  assert.equal(placed.parent, 'finder-here');
  assert.ok(placed.meetings > 0);
  assert.notEqual(placed.button, 'rgb(29, 95, 160)');
  assert.equal(placed.heading, '24px');
  await context.close();
});

test('talks only to the page and the API, sets no cookies, stores nothing', async () => {
  const { context, page, requests } = await open();
  await choose(page, 'Alcoholics Anonymous');
  const origins = new Set(requests.map((url) => new URL(url).origin));
  assert.deepEqual([...origins].sort(), [BASE, host.origin].sort());
  assert.deepEqual(await context.cookies(), []);
  const stored = await page.evaluate(() => [document.cookie, localStorage.length, sessionStorage.length]);
  assert.deepEqual(stored, ['', 0, 0]);
  await context.close();
});

test('fits 320 and 360 pixel wide phone screens without scrolling sideways', async () => {
  for (const width of [320, 360]) {
    const { context, page } = await open({ viewport: { width, height: 740 }, isMobile: true });
    // The filters start folded on a phone, so the first meetings are on the first screen; the
    // "More filters" button opens them from the keyboard.
    const filters = page.locator('meetingmap-finder button[aria-controls="mm-panel"]');
    assert.equal(await filters.getAttribute('aria-expanded'), 'false', `${width} px: filters folded`);
    assert.ok(await page.locator('meetingmap-finder .mm-meeting').first().isVisible());
    const first = await page.locator('meetingmap-finder .mm-meeting').first().boundingBox();
    assert.ok(first.y < 740, `${width} px: the first meeting starts at ${first.y}`);
    await filters.focus();
    await page.keyboard.press('Enter');
    assert.equal(await filters.getAttribute('aria-expanded'), 'true', `${width} px: Enter opens the filters`);
    assert.ok(await page.getByRole('group', { name: 'Fellowship' }).isVisible());
    const overflow = await page.evaluate(() => {
      const root = document.querySelector('meetingmap-finder').shadowRoot;
      const wide = [...root.querySelectorAll('*')]
        .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .map((el) => `${el.tagName} ${el.className} ${el.textContent.slice(0, 30)}`);
      return { scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, wide };
    });
    assert.ok(overflow.scroll <= overflow.client, `${width} px: ${JSON.stringify(overflow)}`);
    assert.deepEqual(overflow.wide, [], `${width} px`);
    await context.close();
  }
});

/** Serious and critical axe-core violations on the page, including inside the finder's shadow root. */
async function violations(frame) {
  await frame.evaluate(axe.source);
  // target-size is WCAG 2.2 AA (24 px targets); asked for by name in case a version leaves it off.
  const results = await frame.evaluate(() => window.axe.run(document, {
    resultTypes: ['violations'],
    rules: { 'target-size': { enabled: true } },
  }));
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' > ')).join(', ')}`);
}

test('axe-core finds no serious or critical problems, with results or an error shown', async () => {
  const { context, page } = await open();
  assert.ok(await page.locator('meetingmap-finder .mm-meeting').count() > 0);
  assert.deepEqual(await violations(page), []);
  const box = page.getByLabel('Postcode or place');
  await box.fill('LL99');
  await box.press('Enter');
  await settled(page);
  assert.deepEqual(await violations(page), []);
  await context.close();
});

test('the iframe variant runs the same finder under its strict CSP', async () => {
  const context = await browser.newContext();
  const requests = [];
  context.on('request', (request) => requests.push(request.url()));
  const page = await context.newPage();
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  await page.goto(framer.origin);
  const frame = page.frames().find((f) => f.url().startsWith(`${BASE}/embed`));
  assert.ok(frame, 'the frame loaded');
  const status = await settled(frame);
  const want = await expected(`near=${NEAR}&fellowship=na&start_after=17:00`);
  assert.equal(status, `${want.occurrences.length} meetings this week near ${want.resolved.label}.`);
  const got = meetingsOf(await shown(frame));
  assert.deepEqual(got.map((m) => m.start), want.occurrences.map((o) => o.start));
  for (const m of got) assert.ok(m.text.includes('Narcotics Anonymous') && m.start.slice(11, 16) >= '17:00', m.text);
  // Styled (constructed stylesheets pass style-src 'self'), and nothing was refused.
  assert.equal(await frame.evaluate(() => getComputedStyle(document.querySelector('meetingmap-finder').shadowRoot.querySelector('.mm')).borderTopStyle), 'solid');
  assert.deepEqual(problems, []);
  const origins = new Set(requests.map((url) => new URL(url).origin));
  assert.deepEqual([...origins].sort(), [BASE, framer.origin].sort());
  assert.deepEqual(await violations(frame), []);
  await context.close();
});

// --- The finder on a directory built by the real importer ---------------------------------------
// tests/it/fixtures/finder-uk.csv, imported by `meetingmap import` (see tests/it/browser.rs):
// Wrexham, Chester and Welshpool, AA, NA, CA and Al-Anon (no SMART), online and hybrid meetings.

const FINDER = process.env.MEETINGMAP_FINDER_BASE_URL;
const SHOTS = process.env.MEETINGMAP_SCREENSHOTS;

async function finderApi(pathAndQuery) {
  const response = await fetch(FINDER + pathAndQuery);
  return { status: response.status, body: await response.json() };
}

/** A page on the /embed finder, in a reader's context in London, logging every request. */
async function openFinder(query, { width = 1280, height = 900, mobile = false, locale = 'en-GB' } = {}) {
  const context = await browser.newContext({
    viewport: { width, height }, isMobile: mobile, timezoneId: 'Europe/London', locale,
  });
  const requests = [];
  context.on('request', (request) => requests.push(request.url()));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(`${FINDER}/embed?${query}`);
  const status = await settled(page);
  return { context, page, requests, errors, status };
}

async function screenshot(page, name) {
  if (!SHOTS) return;
  const { mkdir } = await import('node:fs/promises');
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}` });
}

/** Hosts the requests went to, other than loopback. */
const outside = (requests) => requests.filter((url) => new URL(url).hostname !== '127.0.0.1');

test('each result says where, with the full address and postcode, and links to its own page', { skip: !FINDER }, async () => {
  const { context, page, errors } = await openFinder('near=LL11');
  const want = await finderApi('/v1/occurrences?near=LL11&sort=time&limit=20');
  assert.ok(want.body.occurrences.length >= 10);
  const items = page.locator('meetingmap-finder .mm-meeting');
  for (const [i, o] of want.body.occurrences.slice(0, 5).entries()) {
    const item = items.nth(i);
    const text = await item.textContent();
    assert.equal(await item.locator('.mm-name').textContent(), o.name);
    for (const part of [o.location.venue, o.location.address_lines[0], o.location.town, o.location.postcode]) {
      assert.ok(text.includes(part), `${o.name}: "${part}" in ${text}`);
    }
    assert.match(text, /\d+\.\d km/);
    assert.match(text, /(Open|Closed) meeting: /);
    assert.equal(
      await item.locator('a.mm-share').getAttribute('href'),
      `${FINDER}/meetings/${encodeURIComponent(o.meeting_id)}`,
    );
    const calendar = await item.locator('.mm-links a').allTextContents();
    for (const action of ['Directions', 'Add to calendar', 'Google Calendar', 'Outlook', 'Link to share']) {
      assert.ok(calendar.some((c) => c.startsWith(action)), `${o.name}: ${action} in ${calendar}`);
    }
  }
  // The share link opens the meeting's own page (server-rendered, on the finder's server).
  const shared = want.body.occurrences[0];
  const pageTab = await context.newPage();
  const opened = await pageTab.goto(await items.first().locator('a.mm-share').getAttribute('href'));
  assert.equal(opened.status(), 200);
  assert.equal(await pageTab.locator('h1').first().textContent(), shared.name);
  assert.ok((await pageTab.textContent('body')).includes(shared.location.postcode), 'the page gives the postcode');
  await pageTab.close();
  // Badges for the types a newcomer asks about, and the notes as the source wrote them.
  const newcomers = items.filter({ hasText: 'Wrexham Tuesday Newcomers' }).first();
  assert.deepEqual((await newcomers.locator('.mm-badges li').allTextContents()).sort(),
    ['Beginners welcome', 'Hearing loop', 'Wheelchair access']);
  assert.match(await newcomers.textContent(), /Newcomers are welcome to arrive at 19:15/);
  // The first meeting is on the first screen, desktop and phone.
  const box = await items.first().boundingBox();
  assert.ok(box.y + 40 < 900, `desktop: the first meeting starts at ${box.y}`);
  await screenshot(page, 'finder-desktop.png');
  assert.deepEqual(errors, []);
  await context.close();

  const phone = await openFinder('near=LL11', { width: 390, height: 844, mobile: true });
  const first = await phone.page.locator('meetingmap-finder .mm-meeting').first().boundingBox();
  assert.ok(first.y + 40 < 844, `phone: the first meeting starts at ${first.y}`);
  const wide = await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(wide <= 0, `phone: ${wide} px of sideways scroll`);
  await screenshot(phone.page, 'finder-phone.png');
  await phone.context.close();
});

test('only fellowships with meetings in the directory are offered', { skip: !FINDER }, async () => {
  const { context, page } = await openFinder('near=LL11');
  const offered = await page.locator('meetingmap-finder input[name="fellowship"]').evaluateAll((inputs) => inputs.map((i) => i.value));
  const { body } = await finderApi('/v1/meetings?attendance=in_person,online&limit=100');
  const withData = new Set(body.meetings.map((m) => m.fellowship));
  assert.deepEqual(offered.sort(), [...withData].sort());
  assert.ok(!offered.includes('smart'), 'SMART has no meetings here, so it is not offered');
  await context.close();
});

test('the address holds the search: it restores it, and the back button goes back', { skip: !FINDER }, async () => {
  const { context, page } = await openFinder('near=LL11');
  await choose(page, 'Alcoholics Anonymous');
  await page.getByLabel('Time of day').selectOption('evening');
  await settled(page);
  const address = new URL(page.url());
  assert.equal(address.searchParams.get('fellowship'), 'aa');
  assert.equal(address.searchParams.get('time'), 'evening');
  assert.equal(address.searchParams.get('near'), 'LL11');
  const names = (await shown(page)).flatMap((d) => d.meetings.map((m) => m.name));
  assert.ok(names.length > 0);

  // Shared: a new reader opening the address sees the same search, controls and all.
  const other = await context.newPage();
  await other.goto(address.href);
  await settled(other);
  assert.deepEqual((await shown(other)).flatMap((d) => d.meetings.map((m) => m.name)), names);
  assert.ok(await other.getByLabel('Alcoholics Anonymous', { exact: true }).isChecked());
  assert.equal(await other.getByLabel('Time of day').inputValue(), 'evening');

  // Back: the time of day is undone, then the fellowship.
  await page.goBack();
  await settled(page);
  assert.equal(await page.getByLabel('Time of day').inputValue(), '');
  assert.ok(await page.getByLabel('Alcoholics Anonymous', { exact: true }).isChecked());
  await page.goBack();
  await settled(page);
  assert.equal(await page.getByLabel('Alcoholics Anonymous', { exact: true }).isChecked(), false);
  await context.close();
});

test('on an agency\'s page the search goes in its address with a prefix, beside its own parameters', { skip: !FINDER }, async () => {
  const agency = await hostPage(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Agency</title>
<link rel="icon" href="data:,"></head><body><main><h1>Meetings</h1>
<script src="${FINDER}/embed.js" data-near="LL11" async></script></main></body></html>`);
  const context = await browser.newContext({ timezoneId: 'Europe/London' });
  try {
    const page = await context.newPage();
    await page.goto(`${agency.origin}/?page=find`);
    await settled(page);
    await choose(page, 'Narcotics Anonymous');
    const address = new URL(page.url());
    assert.equal(address.searchParams.get('page'), 'find');
    assert.equal(address.searchParams.get('mm_fellowship'), 'na');
    const again = await context.newPage();
    await again.goto(address.href);
    await settled(again);
    assert.ok(await again.getByLabel('Narcotics Anonymous', { exact: true }).isChecked());
    for (const m of meetingsOf(await shown(again))) assert.ok(m.text.includes('Narcotics Anonymous'), m.text);
  } finally {
    await context.close();
    await agency.close();
  }
});

test('online is its own mode: join links, platform and dial-in, no distances or directions', { skip: !FINDER }, async () => {
  const { context, page } = await openFinder('near=LL11');
  await page.getByLabel('How you take part').selectOption('online');
  const status = await settled(page);
  const want = await finderApi('/v1/occurrences?attendance=online&sort=time&limit=50');
  assert.equal(status, `${want.body.occurrences.length} meetings this week online.`);
  const got = meetingsOf(await shown(page));
  assert.deepEqual(got.map((m) => m.name), want.body.occurrences.map((o) => o.name));
  assert.ok(want.body.occurrences.some((o) => o.attendance === 'hybrid'), 'hybrid meetings are listed');
  for (const m of got) {
    assert.ok(!/ km|kilometre|Directions| min /.test(m.text), `no journey online: ${m.text}`);
  }
  const joins = page.locator('meetingmap-finder a.mm-join');
  assert.equal(await joins.count(), got.length, 'every online meeting has a join link');
  const lunch = page.locator('meetingmap-finder .mm-meeting', { hasText: 'Online Lunchtime Share' });
  assert.equal(await lunch.locator('a.mm-join').getAttribute('href'), 'https://zoom.us/j/89876543210');
  assert.match(await lunch.textContent(), /On Zoom\. Dial in: 0131 460 1196/);
  await context.close();
});

test('an empty rural search shows the nearest meetings however far, ways to widen it and helplines', { skip: !FINDER }, async () => {
  const query = 'near=SY21+7JQ&fellowship=aa&time=evening&mode=transit&max_minutes=30';
  const { context, page, status } = await openFinder(query);
  assert.match(status, /^No meetings this week near SY21 7\S* match these choices\.$/);
  const box = page.locator('meetingmap-finder .mm-fallback');
  assert.ok(await box.isVisible());
  const nearest = await finderApi('/v1/occurrences?near=SY21+7JQ&fellowship=aa&radius_km=250&sort=distance&limit=12');
  const first = nearest.body.occurrences[0];
  assert.ok(first, 'an AA meeting somewhere');
  const items = box.locator('.mm-meeting');
  assert.equal(await items.first().locator('.mm-name').textContent(), first.name);
  assert.match(await items.first().textContent(), new RegExp(first.location.postcode));
  const widen = await box.locator('.mm-widen button').allTextContents();
  assert.deepEqual(widen, ['Allow 60 minutes', 'Travel by car', 'Any time of day', 'Meetings online']);
  const lines = await box.locator('.mm-helpline').allTextContents();
  assert.deepEqual(lines.length, 1, lines.join(' | '));
  assert.match(lines[0], /^Alcoholics Anonymous: 0800 9177 650/);
  // Widening runs the search again.
  await box.getByRole('button', { name: 'Meetings online' }).click();
  assert.match(await settled(page), /meetings? this week online\.$/);
  await context.close();
});

test('the map draws the results from bundled outlines, asking nothing of anyone else', { skip: !FINDER }, async () => {
  const { context, page, requests } = await openFinder('near=LL11&view=map');
  const map = page.locator('meetingmap-finder .mm-map svg');
  await map.waitFor();
  assert.equal(await map.getAttribute('aria-label'), 'Map of the meetings found');
  const ids = new Set(await page.locator('meetingmap-finder .mm-meeting').evaluateAll((items) => items.map((i) => i.dataset.meeting)));
  const pins = page.locator('meetingmap-finder .mm-pin');
  assert.equal(await pins.count(), ids.size, 'one marker per meeting listed');
  assert.ok(await page.locator('meetingmap-finder .mm-land').getAttribute('d').then((d) => d.length > 1000), 'the coastline is drawn');
  assert.match(await page.locator('meetingmap-finder .mm-credit').textContent(), /Made with Natural Earth/);
  await screenshot(page, 'finder-map.png');
  // A marker takes the keyboard to its meeting in the list.
  await pins.first().focus();
  await page.keyboard.press('Enter');
  const focused = await page.evaluate(() => document.querySelector('meetingmap-finder').shadowRoot.activeElement?.className);
  assert.equal(focused, 'mm-name');
  assert.deepEqual(outside(requests), [], 'every request stayed on 127.0.0.1');
  assert.ok(requests.some((url) => url.endsWith('/embed/outline.geojson')));
  await context.close();
});

test('axe finds nothing wrong in list and map modes, in English and Welsh', { skip: !FINDER }, async () => {
  for (const query of ['near=LL11', 'near=LL11&view=map', 'near=LL11&lang=cy', 'near=LL11&view=map&lang=cy', 'attendance=online&lang=cy']) {
    const { context, page } = await openFinder(query);
    await page.waitForTimeout(0);
    const results = await page.evaluate(axe.source).then(() => page.evaluate(() => window.axe.run(document, {
      resultTypes: ['violations'], rules: { 'target-size': { enabled: true } },
    })));
    const found = results.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' > ')).join(', ')}`);
    assert.deepEqual(found, [], query);
    await context.close();
  }
});

test('in Welsh: words from the Welsh catalogue, dates by Intl in Welsh', { skip: !FINDER }, async () => {
  const { context, page, status } = await openFinder('near=LL11&lang=cy');
  assert.match(status, /^\d+ cyfarfod yr wythnos hon ger LL11\.$/);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'cy');
  assert.ok(await page.getByRole('button', { name: 'Chwilio', exact: true }).isVisible());
  const heading = await page.locator('meetingmap-finder .mm-day-title').first().textContent();
  const date = (await shown(page))[0].date;
  const weekday = new Date(`${date}T12:00:00Z`).toLocaleDateString('cy', { weekday: 'long', timeZone: 'UTC' });
  assert.ok(heading.includes(weekday), `${heading} names ${weekday}`);
  await screenshot(page, 'finder-welsh.png');
  await context.close();
  // The browser's language chooses Welsh too.
  const browserWelsh = await openFinder('near=LL11', { locale: 'cy-GB' });
  assert.match(browserWelsh.status, /cyfarfod/);
  await browserWelsh.context.close();
});

test('the frame sizes itself on a host page that listens, and shows a bad setting in words', { skip: !FINDER }, async () => {
  const framing = await hostPage(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Frame</title>
<link rel="icon" href="data:,"></head><body><main><h1>Meetings</h1>
<iframe id="meetingmap" src="${FINDER}/embed?near=LL11" title="Mutual aid meetings near you" style="width:100%;height:300px;border:0"></iframe>
<iframe id="broken" src="${FINDER}/embed?near=LL11&fellowship=aa,xx" title="Broken finder"></iframe>
<script>
addEventListener('message', (e) => {
  if (e.origin === '${FINDER}' && e.data && e.data.type === 'meetingmap:height')
    document.getElementById('meetingmap').style.height = e.data.height + 'px';
});
</script></main></body></html>`);
  const context = await browser.newContext({ timezoneId: 'Europe/London' });
  try {
    const page = await context.newPage();
    await page.goto(framing.origin);
    const frame = page.frames().find((f) => f.url().startsWith(`${FINDER}/embed?near`));
    await settled(frame);
    await page.waitForFunction(() => parseFloat(document.getElementById('meetingmap').style.height) > 1000);
    const [frameHeight, contentHeight] = await Promise.all([
      page.evaluate(() => parseFloat(document.getElementById('meetingmap').style.height)),
      frame.evaluate(() => Math.ceil(document.documentElement.getBoundingClientRect().height)),
    ]);
    assert.equal(frameHeight, contentHeight);
    const broken = page.frames().find((f) => f.url().includes('fellowship=aa,xx'));
    const text = await broken.locator('body').textContent();
    assert.match(text, /This meeting finder is not set up correctly/);
    assert.match(text, /fellowship: has unknown value xx/);
    assert.ok(!text.includes('invalid_params'), text);
  } finally {
    await context.close();
    await framing.close();
  }
});

test('the hand-out link carries the search to the builder', { skip: !FINDER }, async () => {
  const { context, page } = await openFinder('near=LL11&fellowship=na&time=evening');
  const href = new URL(await page.locator('meetingmap-finder a.mm-handout').getAttribute('href'));
  assert.equal(href.origin + href.pathname, `${FINDER}/handout`);
  for (const [key, value] of [['near', 'LL11'], ['fellowship', 'na'], ['start_after', '17:00']]) {
    assert.equal(href.searchParams.get(key), value);
  }
  await context.close();
});

const TILED = process.env.MEETINGMAP_TILED_BASE_URL;
const TILES = process.env.MEETINGMAP_TILES_URL;

test('with a tile server configured, the map draws its tiles and credits it, and asks no one else', { skip: !TILED }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'Europe/London' });
  const requests = [];
  context.on('request', (request) => requests.push(request.url()));
  const page = await context.newPage();
  const refused = [];
  page.on('console', (message) => {
    if (message.type() === 'error') refused.push(message.text());
  });
  await page.goto(`${TILED}/embed?near=LL11&view=map`);
  await settled(page);
  const tiles = page.locator('meetingmap-finder .mm-map svg image');
  await tiles.first().waitFor({ state: 'attached' });
  const hrefs = await tiles.evaluateAll((images) => images.map((i) => i.getAttribute('href')));
  assert.ok(hrefs.length >= 4, `${hrefs.length} tiles`);
  for (const href of hrefs) assert.match(href, new RegExp(`^${TILES}/\\d+/\\d+/\\d+\\.png$`));
  assert.equal(await page.locator('meetingmap-finder .mm-credit').textContent(), '© Test tiles contributors');
  assert.equal(await page.locator('meetingmap-finder .mm-land').count(), 0, 'tiles instead of outlines');
  // The images load after they are drawn: wait for the first tile request.
  for (let i = 0; i < 100 && !requests.some((url) => url.startsWith(TILES)); i++) await page.waitForTimeout(100);
  assert.deepEqual(refused, [], 'the page\'s CSP lets the tiles in');
  assert.deepEqual(outside(requests), []);
  assert.ok(requests.some((url) => url.startsWith(TILES)), 'tiles were fetched');
  await context.close();
});

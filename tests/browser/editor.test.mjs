// The editor page in Chromium: sign in with a key, find a meeting, edit it (the change is in the
// public API at once), see its history, work the reports queue, see a bad field named; the key
// stays in sessionStorage only; axe-core finds no violations.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import axe from 'axe-core';
import { api, BASE, launch } from './helpers.mjs';

const KEY = process.env.MEETINGMAP_EDITOR_KEY;
const MEETING = process.env.MEETINGMAP_EDITOR_MEETING;
const SCREENSHOT = process.env.MEETINGMAP_EDITOR_SCREENSHOT;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Every axe-core violation on the page, whatever its impact. */
async function violations(page) {
  await page.evaluate(axe.source);
  const results = await page.evaluate(() => window.axe.run(document, {
    resultTypes: ['violations'],
    rules: { 'target-size': { enabled: true } },
  }));
  return results.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' > ')).join(', ')}`);
}

async function signedIn(context) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  await page.goto(`${BASE}/editor`);
  assert.deepEqual(await violations(page), [], 'the sign-in view');
  await page.getByLabel('API key').fill(KEY);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Signed in as Wrexham agency (editor)').waitFor();
  await page.locator('#meetings tbody tr').first().waitFor();
  return { page, problems };
}

test('an editor signs in, edits a meeting and sees it live in /v1/meetings', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1100 } });
  const { page, problems } = await signedIn(context);
  assert.ok(await page.locator('#meetings tbody tr').count() >= 2);
  assert.deepEqual(await violations(page), [], 'the meetings list');

  // Search narrows the list.
  await page.getByLabel('Search by name, town, postcode or id').fill('ruabon');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByText('1 meeting', { exact: true }).waitFor();
  await page.getByLabel('Search by name, town, postcode or id').fill('');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByText('2 meetings', { exact: true }).waitFor();

  const before = await api(`/v1/meetings/${MEETING}`);
  assert.equal(before.body.schedule.start_time, '18:30');
  await page.getByRole('button', { name: `Edit ${before.body.name}` }).click();
  await page.getByLabel('Starts (HH:MM)').waitFor();
  assert.equal(await page.getByLabel('Starts (HH:MM)').inputValue(), '18:30');

  // A bad field is named, next to the field, and nothing changes.
  await page.getByLabel('Starts (HH:MM)').fill('25:99');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#edit-errors li').first().waitFor();
  assert.match(await page.locator('#edit-errors').innerText(), /start/);
  assert.equal(await page.getByLabel('Starts (HH:MM)').getAttribute('aria-invalid'), 'true');
  assert.equal((await api(`/v1/meetings/${MEETING}`)).body.schedule.start_time, '18:30');

  await page.getByLabel('Starts (HH:MM)').fill('19:15');
  await page.getByLabel('Ends (HH:MM)').fill('20:45');
  await page.getByLabel('Name', { exact: true }).fill('SMART Recovery Wrexham (evening)');
  await page.getByLabel('Why (kept in the history)').fill('new time from January');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved. The change is live in the directory.').waitFor();
  // Published before the save answered: the public API has it now, well within a second.
  const after = await api(`/v1/meetings/${MEETING}`);
  assert.equal(after.body.schedule.start_time, '19:15');
  assert.equal(after.body.name, 'SMART Recovery Wrexham (evening)');
  const search = await api('/v1/meetings?near=LL11&radius_km=30');
  assert.ok(search.body.meetings.some((m) => m.id === MEETING && m.schedule.start_time === '19:15'));

  // The history shows the change, who made it and why.
  await page.locator('#history li').first().waitFor();
  const history = await page.locator('#history').innerText();
  assert.match(history, /patch|replace/);
  assert.match(history, /by Wrexham agency \(new time from January\)/);
  assert.match(history, /18:30.*19:15/s);
  assert.deepEqual(await violations(page), [], 'the edit form');
  if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT, fullPage: true });

  // The key is in this tab's sessionStorage only: no cookie, nothing in localStorage.
  assert.equal(await page.evaluate(() => sessionStorage.getItem('meetingmap-editor-key')), KEY);
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  assert.deepEqual(await context.cookies(), []);
  assert.deepEqual(problems.filter((p) => !p.includes('422')), []);
  await context.close();
});

test('an editor adds a meeting to the source kept by hand', async () => {
  const context = await browser.newContext();
  const { page } = await signedIn(context);
  await page.getByRole('button', { name: 'Add a meeting' }).click();
  await page.getByLabel('Name', { exact: true }).fill('SMART Recovery Chirk');
  await page.getByLabel('Fellowship').selectOption('smart');
  await page.getByLabel('Day', { exact: true }).selectOption('thu');
  await page.getByLabel('Starts (HH:MM)').fill('18:00');
  await page.getByLabel('Ends (HH:MM)').fill('19:30');
  await page.getByLabel('Venue', { exact: true }).fill('Chirk Parish Hall');
  await page.getByLabel('Town', { exact: true }).fill('Chirk');
  await page.getByLabel('Postcode', { exact: true }).fill('LL14 5AD');
  await page.getByLabel('Latitude').fill('52.933');
  await page.getByLabel('Longitude').fill('-3.057');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved. The change is live in the directory.').waitFor();
  await page.getByText('3 meetings', { exact: true }).waitFor();
  const found = await api('/v1/meetings?lat=52.933&lon=-3.057&radius_km=1&fellowship=smart');
  assert.deepEqual(found.body.meetings.map((m) => m.name), ['SMART Recovery Chirk']);
  assert.equal(found.body.meetings[0].source.name, 'Wrexham agency list');
  await context.close();
});

test('the reports queue is worked from the page', async () => {
  const context = await browser.newContext();
  const { page } = await signedIn(context);
  await page.locator('#reports li').first().waitFor();
  assert.match(await page.locator('#reports').innerText(), /moved, SMART Recovery Wrexham \(evening\): “A sign says the group moved”/);
  assert.ok((await api(`/v1/meetings/${MEETING}`)).body.reported);
  await page.getByRole('button', { name: 'Resolved' }).first().click();
  await page.getByText('No open reports.').waitFor();
  assert.equal((await api(`/v1/meetings/${MEETING}`)).body.reported, undefined);
  assert.deepEqual(await violations(page), []);
  // Signing out forgets the key.
  await page.getByRole('button', { name: 'Sign out' }).click();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await context.close();
});

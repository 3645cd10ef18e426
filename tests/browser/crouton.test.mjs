// croutonjs, the BMLT meeting list NA (and any BMLT) websites embed, on another origin's page
// pointed at our BMLT interface (JSONP, as crouton loads everything): the meetings of a service
// body (a fellowship, with its sources), and of a near-me search, with their format names.
// Started by tests/it/browser.rs; croutonjs comes from npm (tests/browser/node_modules).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE, launch, hostSite } from './helpers.mjs';

const CROUTON = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules/@bmlt-enabled/croutonjs');
const SHOTS = process.env.MEETINGMAP_SCREENSHOTS;
const SUFFIX = process.env.MEETINGMAP_SHOT_SUFFIX || '';
/** A format name every meeting of the service body carries, when the data has one. */
const EVERY_FORMAT = process.env.MEETINGMAP_BODY_FORMAT;
const NA_BODY = process.env.MEETINGMAP_NA_BODY;
const NA_COUNT = Number(process.env.MEETINGMAP_NA_COUNT);
const [LAT, LON] = (process.env.MEETINGMAP_HOME || '53.0462,-2.993').split(',');

/** A page with crouton configured by `config`, served from its own origin. */
function page(config) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Meetings</title>
<link rel="stylesheet" href="/crouton/crouton.min.css">
<script src="/crouton/crouton.min.js"></script></head>
<body><div id="bmlt-tabs"></div>
<script>
  window.crouton = new Crouton(Object.assign({
    root_server: ${JSON.stringify(BASE)},
    show_map: false,
    theme: "",
    template_path: "/crouton/templates",
  }, ${JSON.stringify(config)}));
  window.crouton.render();
</script></body></html>`;
}

/** The meeting rows crouton shows: name, day, time, format keys and format names. */
async function rows(p) {
  // Attached, not visible: with many meetings crouton folds the days away until one is opened.
  await p.locator('#bmlt-tabs tr.bmlt-data-row').first().waitFor({ state: 'attached', timeout: 60000 });
  return p.locator('#bmlt-tabs tr.bmlt-data-row').evaluateAll((trs) => trs.map((tr) => {
    const formats = tr.querySelector('.bmlt-formats');
    const popover = document.createElement('div');
    popover.innerHTML = formats?.getAttribute('data-content') ?? '';
    return {
      id: tr.id.replace('meeting-data-row-', ''),
      name: tr.querySelector('.meeting-name')?.textContent.trim(),
      day: tr.querySelector('.bmlt-day')?.textContent.trim(),
      time: tr.querySelector('.bmlt-time-2')?.textContent.trim(),
      keys: formats?.textContent.trim() ?? '',
      formatNames: [...popover.querySelectorAll('.formats_name')].map((td) => td.textContent.trim()),
      distance: tr.querySelector('.meeting-distance')?.textContent.replace(/\s+/g, ' ').trim(),
    };
  }));
}

test('croutonjs shows a service body and a near-me search from our BMLT interface', async () => {
  const near = `&lat_val=${LAT}&long_val=${LON}&geo_width=-5&sort_results_by_distance=1`;
  const site = await hostSite(
    {
      '/body': page({ service_body: [Number(NA_BODY)], recurse_service_bodies: true }),
      // What crouton's map search sends (the map itself needs tiles from the internet).
      '/near': page({ custom_query: near, venue_types: ['-2'] }),
    },
    { '/crouton/': CROUTON },
  );
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 1200, height: 1400 }, timezoneId: 'Europe/London', locale: 'en-GB' });
    const p = await context.newPage();
    const errors = [];
    p.on('pageerror', (e) => errors.push(e.message));
    await p.clock.setFixedTime(new Date('2026-11-02T09:00:00Z'));

    // A service body: NA, with its sources' bodies below it.
    await p.goto(site.origin + '/body');
    const body = await rows(p);
    assert.deepEqual(errors, [], 'crouton runs without errors');
    assert.equal(body.length, NA_COUNT, JSON.stringify(body));
    const api = await (await fetch(`${BASE}/client_interface/json/?switcher=GetSearchResults&services[]=${NA_BODY}&recursive=1`)).json();
    assert.deepEqual(body.map((r) => r.id).sort(), api.map((m) => m.id_bigint).sort());
    for (const row of body) {
      const meeting = api.find((m) => m.id_bigint === row.id);
      assert.equal(row.name, meeting.meeting_name);
      assert.equal(row.day, ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][meeting.weekday_tinyint - 1]);
      assert.match(row.time, /^(1[0-2]|[1-9]):[0-5]\d [ap]m - /, row.time);
      assert.equal(row.keys, meeting.formats);
      // Format names, joined to meetings by root_server_uri: one per key.
      assert.equal(row.formatNames.length, row.keys.split(',').filter(Boolean).length, JSON.stringify(row));
      assert.ok(row.formatNames.every((n) => n.length > 1), JSON.stringify(row));
      if (EVERY_FORMAT) assert.ok(row.formatNames.includes(EVERY_FORMAT), JSON.stringify(row));
    }
    if (EVERY_FORMAT) {
      const hybrid = body.find((r) => r.formatNames.includes('Virtual and In-Person'));
      assert.ok(hybrid, 'the hybrid meeting carries its venue format');
      assert.match(await p.locator('#bmlt-tabs').innerText(), /us02web\.zoom\.us/);
    }
    // The real dump's service body is thousands of rows: its first screen is enough to look at.
    await p.screenshot({ path: path.join(SHOTS, `crouton${SUFFIX}.png`), fullPage: !SUFFIX });

    // Near me: about the nearest five rooms, nearest first, every fellowship.
    await p.goto(site.origin + '/near');
    const nearby = await rows(p);
    assert.deepEqual(errors, []);
    const answer = await (await fetch(`${BASE}/client_interface/json/?switcher=GetSearchResults&venue_types[]=-2${near}`)).json();
    assert.ok(nearby.length >= 5, `at least the nearest five: ${nearby.length}`);
    assert.deepEqual(nearby.map((r) => r.id).sort(), answer.map((m) => m.id_bigint).sort());
    assert.ok(nearby.every((r) => r.formatNames.length === r.keys.split(',').filter(Boolean).length), 'every meeting shows its format names');
    await p.screenshot({ path: path.join(SHOTS, `crouton${SUFFIX}-near.png`), fullPage: true });
  } finally {
    await browser.close();
    await site.close();
  }
});

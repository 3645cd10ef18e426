/* meetingmap finder: this week's mutual aid meetings near a place, on any web page.
 *
 *   <script src="https://HOST/embed.js" data-fellowship="aa,na" data-near="LL11" async></script>
 *
 * Plain JavaScript with no dependencies and no build step; the server embeds this file in its
 * binary. The finder renders into a shadow root, so the host page's CSS cannot break it and its
 * own CSS cannot leak out. It talks only to the server it was loaded from (found from its own
 * script address), sends cookies to nobody, stores nothing and loads nothing from anywhere else.
 *
 * Data attributes (all optional): data-near, data-fellowship (codes, comma-separated),
 * data-access (open|closed), data-attendance (in_person|online|hybrid|any), data-day (mon..sun,
 * comma-separated), data-time (morning|afternoon|evening), data-mode (walk|cycle|drive|transit),
 * data-max-minutes, data-target (a CSS selector of the element to render into).
 */
(function () {
  'use strict';

  const script = document.currentScript;
  if (!script || !script.src) return;
  const API = new URL(script.src).origin;
  const options = script.dataset;

  const PAGE_SIZE = 20;
  const DAYS = [
    ['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'],
    ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday'],
  ];
  // Start times, local to each meeting, as the API's start_after/start_before (inclusive).
  const TIMES = [
    ['', 'Any time', null, null],
    ['morning', 'Morning (before 12:00)', null, '11:59'],
    ['afternoon', 'Afternoon (12:00 to 16:59)', '12:00', '16:59'],
    ['evening', 'Evening (from 17:00)', '17:00', null],
  ];
  // In person and online both include hybrid meetings, as the API counts them.
  const ATTENDANCE = [
    ['in_person', 'In person', 'in_person'],
    ['online', 'Online', 'online'],
    ['hybrid', 'Hybrid (in person and online at once)', 'hybrid'],
    ['any', 'Any', 'in_person,online'],
  ];
  const ACCESS = [
    ['', 'Either'],
    ['open', 'Open: anyone may go'],
    ['closed', 'Closed: for people with the problem'],
  ];
  const MODES = [
    ['', 'Show distance only', ''],
    ['walk', 'Walking', 'walking'],
    ['cycle', 'Cycling', 'cycling'],
    ['drive', 'Driving', 'driving'],
    ['transit', 'Public transport', 'by public transport'],
  ];

  const CSS = `
:host { all: initial !important; display: block !important; }
.mm { box-sizing: border-box; max-width: 100%; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: #1b1b1b; background: #fff; padding: 12px; border: 1px solid #6f777b; border-radius: 4px; overflow-wrap: anywhere; }
.mm *, .mm *::before, .mm *::after { box-sizing: inherit; }
h2 { font-size: 1.3em; margin: 0 0 0.5em; }
h3 { font-size: 1.1em; margin: 1.2em 0 0.4em; padding-bottom: 0.2em; border-bottom: 2px solid #1b1b1b; }
h4 { font-size: 1em; margin: 0 0 0.2em; }
p { margin: 0 0 0.3em; }
a { color: #1d5fa0; text-decoration: underline; text-underline-offset: 0.15em; }
a:hover { color: #0b3f73; }
label { cursor: pointer; }
.mm-place { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-end; }
.mm-place > div { flex: 1 1 12em; min-width: 0; }
.mm-place label { display: block; font-weight: 600; margin-bottom: 4px; }
input[type=text], input[type=number], select { font: inherit; color: #1b1b1b; background: #fff; border: 2px solid #1b1b1b;
  border-radius: 0; padding: 6px 8px; min-height: 44px; max-width: 100%; }
input[type=text] { width: 100%; }
input[type=number] { width: 6em; }
input[aria-invalid=true] { border-color: #b10e1e; }
input[type=checkbox], input[type=radio] { width: 24px; height: 24px; margin: 0 8px 0 0; flex: none; accent-color: #1d5fa0; }
button { font: inherit; font-weight: 600; min-height: 44px; padding: 6px 14px; border: 2px solid #1d5fa0; border-radius: 4px;
  cursor: pointer; background: #1d5fa0; color: #fff; }
button.mm-secondary { background: #fff; color: #1d5fa0; }
button:hover { background: #0b3f73; border-color: #0b3f73; color: #fff; }
:focus-visible, h4:focus { outline: 3px solid #1b1b1b; outline-offset: 2px; box-shadow: 0 0 0 6px #ffdd00; }
.mm-filters-box { margin: 12px 0 0; }
.mm-filters-box > summary { cursor: pointer; font-weight: 600; min-height: 44px; padding: 10px 0; }
.mm-filters-box > summary .mm-hint { font-weight: 400; }
.mm-filters { display: flex; flex-wrap: wrap; gap: 8px 16px; margin: 4px 0 0; }
fieldset { border: 1px solid #6f777b; padding: 6px 10px 8px; margin: 0; min-width: 0; flex: 1 1 14em; }
legend { font-weight: 600; padding: 0 4px; }
.mm-choices { display: grid; grid-template-columns: repeat(auto-fill, minmax(9em, 1fr)); gap: 2px 14px; list-style: none; margin: 0; padding: 0; }
.mm-choices label { display: inline-flex; align-items: center; min-height: 32px; }
.mm-field { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; margin: 4px 0; }
.mm-hint { color: #4a5257; font-size: 0.9em; }
.mm-error { color: #b10e1e; font-weight: 600; margin: 6px 0 0; }
.mm-status { margin: 12px 0 0; font-weight: 600; }
.mm-days { list-style: none; margin: 0; padding: 0; }
.mm-day > ul { list-style: none; margin: 0; padding: 0; }
.mm-meeting { padding: 8px 0; border-bottom: 1px solid #b1b4b6; }
.mm-when { font-weight: 600; }
.mm-links { display: flex; flex-wrap: wrap; gap: 4px 16px; list-style: none; margin: 4px 0; padding: 0; }
.mm-links a { display: inline-block; min-height: 24px; padding: 2px 0; }
.mm-more { margin-top: 12px; }
.mm-handout { display: inline-block; margin: 6px 0 0; min-height: 24px; }
.sr-only { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; border: 0; }
[hidden] { display: none !important; }
`;

  /** An element with attributes and children (text or elements); text is never parsed as HTML. */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === false || value === null || value === undefined) continue;
      node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Text read to screen readers in place of what is shown. */
  function spoken(shown, words) {
    return [el('span', { 'aria-hidden': 'true' }, shown), el('span', { class: 'sr-only' }, words)];
  }

  function list(text) {
    return (text || '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  }

  /** A link to somewhere the user chooses to go; only web addresses become links. */
  function safeUrl(text) {
    try {
      const url = new URL(text);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  /** The element a selector names, or null when there is none or the selector is not valid. */
  function find(selector) {
    try {
      return selector ? document.querySelector(selector) : null;
    } catch (e) {
      return null;
    }
  }

  // Where the finder goes: before its script tag, or into data-target.
  const host = document.createElement('meetingmap-finder');
  const target = find(options.target);
  if (target) {
    target.append(host);
  } else if (script.parentNode && script.parentNode !== document.head) {
    script.parentNode.insertBefore(host, script);
  } else {
    document.body.append(host);
  }
  const root = host.attachShadow({ mode: 'open' });
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(el('style', {}, CSS));
  }

  // Ids only need to be unique within this shadow root.
  const nearInput = el('input', {
    id: 'mm-near', type: 'text', autocomplete: 'postal-code', spellcheck: 'false',
    'aria-describedby': 'mm-near-hint', value: options.near || '',
  });
  const nearError = el('p', { id: 'mm-near-error', class: 'mm-error', hidden: true });
  const locate = el('button', { type: 'button', class: 'mm-secondary' }, 'Use my location');
  const fellowships = el('ul', { class: 'mm-choices' });
  const timeSelect = el('select', { id: 'mm-time' },
    TIMES.map(([value, label]) => el('option', { value, selected: value === (options.time || '') }, label)));
  const modeSelect = el('select', { id: 'mm-mode' },
    MODES.map(([value, label]) => el('option', { value, selected: value === (options.mode || '') }, label)));
  const minutesInput = el('input', {
    id: 'mm-minutes', type: 'number', min: 1, max: 240, step: 1, inputmode: 'numeric',
    value: options.maxMinutes || '', disabled: !options.mode,
  });
  const status = el('p', { class: 'mm-status', role: 'status', 'aria-live': 'polite', tabindex: '-1' });
  const days = el('ul', { class: 'mm-days', 'aria-label': 'Meetings by day' });
  const more = el('button', { type: 'button', class: 'mm-more mm-secondary', hidden: true }, 'Show more meetings');
  // The keyworker's next step after a search: the same search as a printable hand-out, on the
  // builder page of this finder's own server (pre-filled from the link, so it can be adjusted).
  const handout = el('a', { class: 'mm-handout', href: `${API}/handout`, target: '_blank', rel: 'noopener', hidden: true },
    'Print a hand-out of this search');
  const chosenCount = el('span', { class: 'mm-hint' });
  // On a phone the filters would push the meetings off the first screen: they start folded
  // there, and the summary line says how many are in force.
  const hostWidth = host.getBoundingClientRect().width;
  const narrow = hostWidth > 0 && hostWidth < 480;

  function radios(name, choices, chosen) {
    return el('ul', { class: 'mm-choices' }, choices.map(([value, label], i) => el('li', {},
      el('label', {},
        el('input', { type: 'radio', name, value, checked: value === chosen || (i === 0 && !chosen) }),
        label))));
  }

  function checkboxes(name, choices, chosen) {
    return choices.map(([value, label]) => el('li', {},
      el('label', {},
        el('input', { type: 'checkbox', name, value, checked: chosen.includes(value) }),
        label)));
  }

  const form = el('form', { class: 'mm-search', role: 'search', 'aria-label': 'Find meetings', novalidate: true },
    el('div', { class: 'mm-place' },
      el('div', {},
        el('label', { for: 'mm-near' }, 'Postcode or place'),
        el('p', { id: 'mm-near-hint', class: 'mm-hint' }, 'For example LL11 1AA, LL11 or Wrexham'),
        nearInput),
      el('button', { type: 'submit' }, 'Search'),
      locate),
    nearError,
    el('details', { class: 'mm-filters-box', open: !narrow },
      el('summary', {}, 'Filters', ' ', chosenCount),
      el('div', { class: 'mm-filters' },
        el('fieldset', {},
          el('legend', {}, 'Fellowship'),
          el('p', { class: 'mm-hint' }, 'None ticked: all fellowships'),
          fellowships),
        el('fieldset', {},
          el('legend', {}, 'Open or closed'),
          radios('access', ACCESS, options.access || '')),
        el('fieldset', {},
          el('legend', {}, 'How you take part'),
          el('p', { class: 'mm-hint' }, 'In person and online both include hybrid meetings'),
          radios('attendance', ATTENDANCE, options.attendance || 'in_person')),
        el('fieldset', {},
          el('legend', {}, 'Day'),
          el('p', { class: 'mm-hint' }, 'None ticked: every day this week'),
          el('ul', { class: 'mm-choices' }, checkboxes('day', DAYS, list(options.day)))),
        el('fieldset', {},
          el('legend', {}, 'Time and travel'),
          el('div', { class: 'mm-field' }, el('label', { for: 'mm-time' }, 'Time of day'), timeSelect),
          el('div', { class: 'mm-field' }, el('label', { for: 'mm-mode' }, 'Travel'), modeSelect),
          el('div', { class: 'mm-field' },
            el('label', { for: 'mm-minutes' }, 'Within (minutes)'), minutesInput)))));

  root.append(el('section', { class: 'mm', 'aria-labelledby': 'mm-title', lang: 'en' },
    el('h2', { id: 'mm-title' }, 'Mutual aid meetings this week'),
    form, status, handout, days, more));

  let fellowshipNames = {};
  let place = null; // { near, label }: what to search around
  let search = null; // { query, label, shown, next } of the search on screen
  let generation = 0; // a newer search makes older answers stale

  function checked(name) {
    return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((input) => input.value);
  }

  /** The search the form describes, as a query string without paging. */
  function queryString() {
    const q = new URLSearchParams();
    if (place) q.set('near', place.near);
    const fellowship = checked('fellowship');
    if (fellowship.length) q.set('fellowship', fellowship.join(','));
    const access = checked('access')[0];
    if (access) q.set('access', access);
    const attendance = ATTENDANCE.find(([value]) => value === checked('attendance')[0]);
    if (attendance && attendance[0] !== 'in_person') q.set('attendance', attendance[2]);
    const day = checked('day');
    if (day.length) q.set('day', day.join(','));
    const time = TIMES.find(([value]) => value === timeSelect.value);
    if (time && time[2]) q.set('start_after', time[2]);
    if (time && time[3]) q.set('start_before', time[3]);
    if (modeSelect.value) {
      q.set('mode', modeSelect.value);
      if (minutesInput.value.trim()) q.set('max_minutes', minutesInput.value.trim());
    }
    q.set('sort', 'time');
    return q.toString();
  }

  class Problem extends Error {
    constructor(status, body) {
      super(body && body.detail ? body.detail : `the server answered ${status}`);
      this.status = status;
      this.body = body;
    }
  }

  async function api(path) {
    let response;
    try {
      response = await fetch(API + path, { credentials: 'omit', headers: { Accept: 'application/json' } });
    } catch (e) {
      throw new Problem(0, null);
    }
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (!response.ok) throw new Problem(response.status, body);
    return body;
  }

  const PARAM_NAMES = {
    fellowship: 'Fellowship', access: 'Open or closed', attendance: 'How you take part', day: 'Day',
    start_after: 'Time of day', start_before: 'Time of day', mode: 'Travel', max_minutes: 'Within (minutes)',
  };

  /** A problem from the API in words, with the suggestions it gives; `near` errors by the box. */
  function explain(problem) {
    const params = problem.body && Array.isArray(problem.body.invalid_params) ? problem.body.invalid_params : [];
    let nearText = null;
    const others = [];
    for (const { name, reason } of params) {
      const words = String(reason).replace(/`/g, '');
      if (name === 'near') {
        nearText = `“${place ? place.near : ''}” ${words}.`.replace(/\?\.$/, '?');
      } else {
        others.push(`${PARAM_NAMES[name] || name}: ${words}.`);
      }
    }
    if (!params.length) {
      others.push(problem.status === 0
        ? 'The meeting list could not be reached. Check your connection and try again.'
        : `The meeting list could not be shown: ${problem.message}.`);
    }
    return { nearText, text: [nearText, ...others].filter(Boolean).join(' ') };
  }

  function showNearError(text) {
    nearError.textContent = text || '';
    nearError.hidden = !text;
    if (text) {
      nearInput.setAttribute('aria-invalid', 'true');
      nearInput.setAttribute('aria-describedby', 'mm-near-hint mm-near-error');
    } else {
      nearInput.removeAttribute('aria-invalid');
      nearInput.setAttribute('aria-describedby', 'mm-near-hint');
    }
  }

  const dateHeading = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' });
  const dateChecked = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric' });

  function localDate(date) {
    const pad = (n) => String(n).padStart(2, '0');
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  }

  /** "Today, Monday 30 November" for a `YYYY-MM-DD` date (the meeting's own local date). */
  function dayTitle(date) {
    const [y, m, d] = date.split('-').map(Number);
    const name = dateHeading.format(new Date(Date.UTC(y, m - 1, d)));
    const now = new Date();
    const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
    if (date === localDate(now)) return `Today, ${name}`;
    if (date === localDate(tomorrow)) return `Tomorrow, ${name}`;
    return name;
  }

  function dayList(date) {
    let section = days.querySelector(`li[data-date="${date}"]`);
    if (!section) {
      section = el('li', { class: 'mm-day', 'data-date': date }, el('h3', {}, dayTitle(date)), el('ul', {}));
      days.append(section);
    }
    return section.querySelector('ul');
  }

  function kilometres(km) {
    const shown = Math.max(km, 0.1).toFixed(1);
    return spoken(`${shown} km`, `${shown} ${shown === '1.0' ? 'kilometre' : 'kilometres'} away`);
  }

  function journey(travel) {
    const mode = MODES.find(([value]) => value === travel.mode);
    const how = mode ? mode[2] : travel.mode;
    const estimate = travel.method === 'estimate' ? ' (estimate)' : '';
    return spoken(`${travel.minutes} min ${how}${estimate}`,
      `${travel.minutes} ${travel.minutes === 1 ? 'minute' : 'minutes'} ${how}${estimate}`);
  }

  function meetingItem(o) {
    const hhmm = (instant) => instant.slice(11, 16);
    const facts = [
      fellowshipNames[o.fellowship] || o.fellowship.toUpperCase(),
      o.access === 'open' ? 'Open meeting' : o.access === 'closed' ? 'Closed meeting' : null,
      o.attendance === 'online' ? 'Online' : o.attendance === 'hybrid' ? 'In person and online' : null,
    ].filter(Boolean);
    const where = o.location ? [o.location.venue, o.location.town].filter(Boolean).join(', ') : null;
    const distance = [];
    if (typeof o.distance_km === 'number') distance.push(...kilometres(o.distance_km));
    if (o.travel) distance.push(distance.length ? ', ' : '', ...journey(o.travel));
    const online = o.online && o.online.url ? safeUrl(o.online.url) : null;
    const directions = o.directions_url ? safeUrl(o.directions_url) : null;
    const checkedOn = Date.parse(o.last_seen_at);
    return el('li', { class: 'mm-meeting' },
      el('h4', { tabindex: '-1' }, o.name),
      el('p', { class: 'mm-when' },
        el('time', { datetime: o.start }, hhmm(o.start)),
        spoken('–', ' to '),
        el('time', { datetime: o.end }, hhmm(o.end)),
        o.in_progress ? ' (under way now)' : null),
      el('p', {}, facts.join(' · ')),
      where ? el('p', {}, where) : null,
      distance.length ? el('p', {}, distance) : null,
      el('ul', { class: 'mm-links' },
        directions ? el('li', {}, el('a', { href: directions, rel: 'noopener noreferrer', target: '_blank' },
          'Directions', el('span', { class: 'sr-only' }, ` to ${o.name} (opens in a new tab)`))) : null,
        el('li', {}, el('a', { href: `${API}/v1/meetings/${encodeURIComponent(o.meeting_id)}.ics`, rel: 'noreferrer' },
          'Add to calendar', el('span', { class: 'sr-only' }, `: ${o.name}, every week`))),
        online ? el('li', {}, el('a', { href: online, rel: 'noopener noreferrer', target: '_blank' },
          'Join online', el('span', { class: 'sr-only' }, `: ${o.name} (opens in a new tab)`))) : null),
      el('p', { class: 'mm-hint' },
        `Listed by ${o.source.name}${Number.isNaN(checkedOn) ? '' : `, checked ${dateChecked.format(new Date(checkedOn))}`}`));
  }

  function summary() {
    const n = search.shown;
    const where = search.label ? ` near ${search.label}` : '';
    if (n === 0) return `No meetings this week${where} match these choices.`;
    const meetings = `${n} ${n === 1 ? 'meeting' : 'meetings'} this week${where}`;
    return search.next ? `Showing the first ${meetings}.` : `${meetings}.`;
  }

  /** Adds a page of results; returns the first new meeting's heading. */
  function addPage(page) {
    let first = null;
    for (const o of page.occurrences) {
      const item = meetingItem(o);
      dayList(o.start.slice(0, 10)).append(item);
      first = first || item.querySelector('h4');
    }
    search.shown += page.occurrences.length;
    search.next = page.next;
    more.hidden = !page.next;
    return first;
  }

  async function run() {
    const mine = ++generation;
    const online = checked('attendance')[0] === 'online';
    showNearError(null);
    if (!place && !online) {
      days.replaceChildren();
      more.hidden = true;
      search = null;
      handout.hidden = true;
      status.textContent = 'Enter a postcode or place, or use your location, to see meetings near you.';
      return;
    }
    const query = queryString();
    status.textContent = 'Searching…';
    days.setAttribute('aria-busy', 'true');
    try {
      const page = await api(`/v1/occurrences?${query}&limit=${PAGE_SIZE}`);
      if (mine !== generation) return;
      const label = place ? place.label || (page.resolved && page.resolved.label) || place.near : null;
      search = { query, label, shown: 0, next: null };
      handout.href = `${API}/handout?${query}`;
      handout.hidden = false;
      days.replaceChildren();
      addPage(page);
      status.textContent = summary();
    } catch (problem) {
      if (mine !== generation) return;
      days.replaceChildren();
      more.hidden = true;
      search = null;
      handout.hidden = true;
      const { nearText, text } = explain(problem);
      showNearError(nearText);
      status.textContent = text;
    } finally {
      if (mine === generation) days.removeAttribute('aria-busy');
    }
  }

  more.addEventListener('click', async () => {
    if (!search || !search.next) return;
    const mine = generation;
    status.textContent = 'Loading more meetings…';
    try {
      const page = await api(`/v1/occurrences?${search.query}&limit=${PAGE_SIZE}&cursor=${encodeURIComponent(search.next)}`);
      if (mine !== generation) return;
      const first = addPage(page);
      status.textContent = summary();
      // Keep the keyboard where the new meetings start, rather than on a button that may vanish.
      if (first) first.focus();
      else if (more.hidden) status.focus();
    } catch (problem) {
      if (mine !== generation) return;
      // The directory changed since the first page: start the list again.
      if (problem.status === 410) run();
      else status.textContent = explain(problem).text;
    }
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = nearInput.value.trim();
    place = text ? { near: text, label: null } : null;
    run();
  });

  /** "(2 chosen)": the filters in force, for the folded summary line. */
  function countChosen() {
    const n = checked('fellowship').length + checked('day').length
      + (checked('access')[0] ? 1 : 0)
      + (checked('attendance')[0] !== 'in_person' ? 1 : 0)
      + (timeSelect.value ? 1 : 0)
      + (modeSelect.value && minutesInput.value.trim() ? 1 : 0);
    chosenCount.textContent = n ? `(${n} chosen)` : '(none chosen)';
  }

  form.addEventListener('change', (event) => {
    if (event.target === nearInput) return;
    if (event.target === modeSelect) minutesInput.disabled = !modeSelect.value;
    countChosen();
    run();
  });

  locate.addEventListener('click', () => {
    if (!navigator.geolocation) {
      status.textContent = 'This browser cannot share your location. Enter a postcode or place instead.';
      return;
    }
    status.textContent = 'Finding your location…';
    navigator.geolocation.getCurrentPosition((position) => {
      // About 100 metres is plenty to find meetings, and says less about where someone is.
      const lat = position.coords.latitude.toFixed(3);
      const lon = position.coords.longitude.toFixed(3);
      place = { near: `${lat},${lon}`, label: 'your location' };
      nearInput.value = '';
      run();
    }, (error) => {
      status.textContent = error.code === error.PERMISSION_DENIED
        ? 'Your location was not shared. Enter a postcode or place instead.'
        : 'Your location could not be found. Enter a postcode or place instead.';
    }, { maximumAge: 600000, timeout: 20000 });
  });

  async function start() {
    const wanted = list(options.fellowship);
    try {
      const body = await api('/v1/fellowships');
      fellowshipNames = Object.fromEntries(body.fellowships.map((f) => [f.id, f.name]));
      fellowships.append(...checkboxes('fellowship', body.fellowships.map((f) => [f.id, f.name]), wanted));
      countChosen();
    } catch (problem) {
      status.textContent = explain(problem).text;
      return;
    }
    const near = (options.near || '').trim();
    place = near ? { near, label: null } : null;
    run();
  }

  start();
})();

/* meetingmap finder: mutual aid meetings near a place, on any web page.
 *
 *   <script src="https://HOST/embed.js" data-fellowship="aa,na" data-near="LL11" async></script>
 *
 * Plain JavaScript with no dependencies and no build step; the server embeds this file in its
 * binary and writes its words (locales/*.json, "finder") and map settings into CONFIG below as it
 * serves it. The finder renders into a shadow root, so the host page's CSS cannot break it and its
 * own CSS cannot leak out. It talks only to the server it was loaded from (found from its own
 * script address), sends cookies to nobody, stores nothing (the search lives in the page's
 * address, so it can be shared and the back button works) and loads nothing from anywhere else,
 * unless the server's operator configured a map tile server.
 *
 * Data attributes (all optional): data-near, data-fellowship (codes, comma-separated),
 * data-access (open|closed), data-attendance (in_person|online|hybrid|any), data-day (mon..sun,
 * comma-separated), data-time (morning|afternoon|evening), data-mode (walk|cycle|drive|transit),
 * data-max-minutes, data-when (today|tomorrow|week), data-q, data-type, data-language,
 * data-view (list|map), data-lang (en|cy), data-target (a CSS selector of the element to render
 * into). On a host page the search is kept in the query string as mm_near, mm_fellowship...;
 * on the server's own /embed page, without the prefix.
 */
(function () {
  'use strict';

  const CONFIG = /*MEETINGMAP_CONFIG*/null || { strings: { en: {} }, map: {} };

  const script = document.currentScript;
  if (!script || !script.src) return;
  const API = new URL(script.src).origin;
  const options = script.dataset;
  // On our own /embed page the whole address is the finder's; on a host page its keys are
  // prefixed so they cannot clash with the page's own.
  const OWN_PAGE = location.origin === API && location.pathname === '/embed';
  const PREFIX = OWN_PAGE ? '' : 'mm_';
  const KEYS = ['near', 'fellowship', 'access', 'attendance', 'day', 'time', 'mode', 'max_minutes',
    'when', 'q', 'type', 'language', 'view', 'lang'];

  /** The search the page's address holds, if any. */
  function addressState() {
    const params = new URLSearchParams(location.search);
    const state = {};
    for (const key of KEYS) {
      const value = params.get(PREFIX + key);
      if (value !== null) state[key] = value;
    }
    return state;
  }

  /** Settings: the address's search over the tag's data attributes. */
  function initialSettings() {
    const settings = {};
    for (const key of KEYS) {
      const value = options[key.replace(/_([a-z])/g, (_, c) => c.toUpperCase())];
      if (value !== undefined) settings[key] = value;
    }
    return Object.assign(settings, addressState());
  }

  const start = initialSettings();
  const browserWelsh = (navigator.languages || [navigator.language || '']).some((l) => /^cy\b/i.test(l));
  const LANG = CONFIG.strings[start.lang] ? start.lang : (browserWelsh && CONFIG.strings.cy ? 'cy' : 'en');
  const STRINGS = Object.assign({}, CONFIG.strings.en || {}, CONFIG.strings[LANG] || {});
  const LOCALE = LANG === 'cy' ? 'cy' : 'en-GB';

  /** The catalogue's string `key`, with `{name}` filled from `vars`. */
  function t(key, vars) {
    const text = STRINGS[key] !== undefined ? STRINGS[key] : key;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (vars && vars[name] !== undefined ? String(vars[name]) : whole));
  }

  // Headings continue the page's outline: on our own /embed page the finder's title is the
  // page's h1; on a host page it is an h2 under the page's own h1.
  const LEVEL = OWN_PAGE ? 1 : 2;
  const H = (depth) => `h${LEVEL + depth}`;

  const PAGE_SIZE = 20;
  // How many of the nearest meetings to offer when a search finds none.
  const NEAREST = 3;
  const DAY_CODES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  // Start times, local to each meeting, as the API's start_after/start_before (inclusive).
  const TIMES = [
    ['', 'time_any', null, null],
    ['morning', 'time_morning', null, '11:59'],
    ['afternoon', 'time_afternoon', '12:00', '16:59'],
    ['evening', 'time_evening', '17:00', null],
  ];
  // In person and online both include hybrid meetings, as the API counts them.
  const ATTENDANCE = [
    ['in_person', 'attendance_in_person', 'in_person'],
    ['online', 'attendance_online', 'online'],
    ['hybrid', 'attendance_hybrid', 'hybrid'],
    ['any', 'attendance_any', 'in_person,online'],
  ];
  const ACCESS = [['', 'access_either'], ['open', 'access_open'], ['closed', 'access_closed']];
  const MODES = ['walk', 'cycle', 'drive', 'transit'];
  const WHEN = ['today', 'tomorrow', 'week'];
  // The types a newcomer most often asks about, as filters and as badges.
  const BADGES = [
    ['accessibility:wheelchair', 'badge_wheelchair'],
    ['accessibility:hearing-loop', 'badge_hearing_loop'],
    ['community:women', 'badge_women'],
    ['community:lgbtq', 'badge_lgbtq'],
    ['community:young-people', 'badge_young_people'],
    ['format:beginners', 'badge_beginners'],
    ['format:newcomers', 'badge_beginners'],
    ['language:cy', 'badge_welsh'],
  ];
  const LANGUAGES = ['cy', 'pl', 'es', 'pt', 'ro', 'lt', 'fr', 'de', 'it', 'ru', 'uk', 'ar', 'fa', 'ur', 'pa'];

  const CSS = `
:host { all: initial !important; display: block !important; }
.mm { position: relative; box-sizing: border-box; max-width: 100%; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: #1b1b1b; background: #fff; padding: 10px 12px; border: 1px solid #6f777b; border-radius: 4px; overflow-wrap: anywhere; }
.mm *, .mm *::before, .mm *::after { box-sizing: inherit; }
.mm-title { font-size: 1.2em; margin: 0 0 0.3em; }
.mm-day-title, .mm-fallback-title { font-size: 1.05em; margin: 0.9em 0 0.3em; padding-bottom: 0.15em; border-bottom: 2px solid #1b1b1b; }
.mm-name { font-size: 1em; margin: 0 0 0.15em; }
p { margin: 0 0 0.25em; }
a { color: #1d5fa0; text-decoration: underline; text-underline-offset: 0.15em; }
a:hover { color: #0b3f73; }
label { cursor: pointer; }
.mm-skip { position: absolute; left: 12px; top: 4px; z-index: 2; background: #fff; padding: 4px 8px; }
.mm-skip:not(:focus) { width: 1px; height: 1px; padding: 0; overflow: hidden; clip-path: inset(50%); }
.mm-bar { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: flex-end; }
.mm-place { display: flex; flex-wrap: wrap; gap: 6px; align-items: flex-end; flex: 1 1 24em; min-width: 0; }
.mm-bar > fieldset, .mm-bar > div:not(.mm-place) { flex: 0 1 auto; }
.mm-place > div { flex: 1 1 10em; min-width: 0; }
.mm-label { display: block; font-weight: 600; font-size: 0.9em; margin-bottom: 2px; }
input[type=text], input[type=search], input[type=number], select { font: inherit; color: #1b1b1b; background: #fff; border: 2px solid #1b1b1b;
  border-radius: 0; padding: 4px 6px; min-height: 40px; max-width: 100%; }
input[type=text], input[type=search] { width: 100%; }
input[type=number] { width: 6em; }
input[aria-invalid=true] { border-color: #b10e1e; }
input[type=checkbox], input[type=radio] { width: 20px; height: 20px; margin: 0 6px 0 0; flex: none; accent-color: #1d5fa0; }
button { font: inherit; font-weight: 600; min-height: 40px; padding: 4px 12px; border: 2px solid #1d5fa0; border-radius: 4px;
  cursor: pointer; background: #1d5fa0; color: #fff; }
button.mm-secondary { background: #fff; color: #1d5fa0; }
button:hover { background: #0b3f73; border-color: #0b3f73; color: #fff; }
button[aria-pressed=true] { background: #1d5fa0; color: #fff; }
:focus-visible, .mm-name:focus, .mm-status:focus { outline: 3px solid #1b1b1b; outline-offset: 2px; box-shadow: 0 0 0 6px #ffdd00; }
fieldset { border: 0; padding: 0; margin: 0; min-width: 0; }
legend { font-weight: 600; font-size: 0.9em; padding: 0; margin-bottom: 2px; }
.mm-chips { display: flex; flex-wrap: wrap; gap: 4px; list-style: none; margin: 0; padding: 0; }
.mm-chips label { display: inline-flex; align-items: center; min-height: 40px; padding: 2px 10px 2px 6px; border: 2px solid #6f777b; border-radius: 20px; }
.mm-chips label:has(input:checked) { border-color: #1d5fa0; background: #e8f1fa; }
.mm-panel { display: flex; flex-wrap: wrap; gap: 10px 20px; margin: 8px 0 0; padding: 8px 10px; border: 1px solid #6f777b; }
.mm-panel > * { flex: 1 1 14em; min-width: 0; }
.mm-panel select { width: 100%; }
.mm-choices { display: grid; grid-template-columns: repeat(auto-fill, minmax(8.5em, 1fr)); gap: 0 12px; list-style: none; margin: 0; padding: 0; }
.mm-choices label { display: inline-flex; align-items: center; min-height: 30px; }
.mm-field { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; margin: 4px 0; }
.mm-hint { color: #4a5257; font-size: 0.9em; }
.mm-error { color: #b10e1e; font-weight: 600; margin: 6px 0 0; }
.mm-status { margin: 8px 0 0; font-weight: 600; }
.mm-tools { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: center; }
.mm-days, .mm-list { list-style: none; margin: 0; padding: 0; }
.mm-day > ul { list-style: none; margin: 0; padding: 0; }
.mm-meeting { padding: 8px 0; border-bottom: 1px solid #b1b4b6; }
.mm-when { font-weight: 700; }
.mm-badges { display: flex; flex-wrap: wrap; gap: 4px; list-style: none; margin: 4px 0; padding: 0; }
.mm-badges li { font-size: 0.85em; padding: 1px 8px; border: 1px solid #1d5fa0; border-radius: 10px; color: #0b3f73; background: #f0f6fc; }
.mm-notes { white-space: pre-line; }
.mm-links { display: flex; flex-wrap: wrap; gap: 4px 16px; list-style: none; margin: 4px 0; padding: 0; }
.mm-links a { display: inline-block; min-height: 24px; padding: 2px 0; }
.mm-more { margin-top: 12px; }
.mm-handout { display: inline-block; min-height: 24px; padding: 2px 0; }
.mm-fallback { margin: 10px 0 0; padding: 8px 12px; border-left: 4px solid #1d5fa0; background: #f3f7fb; }
.mm-fallback ul.mm-widen { display: flex; flex-wrap: wrap; gap: 6px; list-style: none; margin: 4px 0; padding: 0; }
.mm-helplines { margin: 4px 0; padding-left: 1.2em; }
.mm-map { margin: 8px 0; }
.mm-map svg { display: block; width: 100%; height: auto; background: #cfe3f3; border: 1px solid #6f777b; }
.mm-map .mm-land { fill: #f4f1e8; stroke: #6f777b; stroke-width: 1; vector-effect: non-scaling-stroke; }
.mm-map .mm-pin circle { fill: #b10e1e; stroke: #fff; stroke-width: 2; vector-effect: non-scaling-stroke; }
.mm-map .mm-pin:focus circle, .mm-map .mm-pin:hover circle { fill: #1b1b1b; stroke: #ffdd00; stroke-width: 4; }
.mm-map .mm-pin:focus { outline: none; }
.mm-map .mm-you { fill: #1d5fa0; stroke: #fff; stroke-width: 2; vector-effect: non-scaling-stroke; }
.mm-map .mm-town { font: 600 13px system-ui, sans-serif; fill: #1b1b1b; stroke: #fff; stroke-width: 3px; paint-order: stroke; }
.mm-credit { font-size: 0.8em; color: #4a5257; margin: 2px 0 0; }
.sr-only { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; border: 0; }
[hidden] { display: none !important; }
`;

  /** An element with attributes and children (text or elements); text is never parsed as HTML. */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    return fill(node, attributes, children);
  }

  /** The same in SVG's namespace. */
  function svg(tag, attributes, ...children) {
    return fill(document.createElementNS('http://www.w3.org/2000/svg', tag), attributes, children);
  }

  function fill(node, attributes, children) {
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
    'aria-describedby': 'mm-near-hint',
  });
  const nearError = el('p', { id: 'mm-near-error', class: 'mm-error', hidden: true });
  const locate = el('button', { type: 'button', class: 'mm-secondary' }, t('locate'));
  const fellowships = el('ul', { class: 'mm-chips' });
  const timeSelect = el('select', { id: 'mm-time' },
    TIMES.map(([value, key]) => el('option', { value }, t(key))));
  const attendanceSelect = el('select', { id: 'mm-attendance' },
    ATTENDANCE.map(([value, key]) => el('option', { value }, t(key))));
  const modeSelect = el('select', { id: 'mm-mode' },
    el('option', { value: '' }, t('travel_none')),
    MODES.map((mode) => el('option', { value: mode }, t(`mode_${mode}`))));
  const minutesInput = el('input', {
    id: 'mm-minutes', type: 'number', min: 1, max: 240, step: 1, inputmode: 'numeric',
  });
  const keywordInput = el('input', { id: 'mm-q', type: 'search', maxlength: 200 });
  const languageSelect = el('select', { id: 'mm-language' },
    el('option', { value: '' }, t('language_any')),
    LANGUAGES.map((code) => el('option', { value: code }, languageName(code))));
  const status = el('p', { class: 'mm-status', role: 'status', 'aria-live': 'polite', tabindex: '-1', id: 'mm-status' });
  const days = el('ul', { class: 'mm-days', 'aria-label': t('meetings_by_day') });
  const more = el('button', { type: 'button', class: 'mm-more mm-secondary', hidden: true }, t('show_more'));
  // The keyworker's next step after a search: the same search as a printable hand-out, on the
  // builder page of this finder's own server (pre-filled from the link, so it can be adjusted).
  const handout = el('a', { class: 'mm-handout', href: `${API}/handout`, target: '_blank', rel: 'noopener', hidden: true },
    t('handout'));
  const fallback = el('div', { class: 'mm-fallback', hidden: true });
  const mapBox = el('div', { class: 'mm-map', hidden: true });
  const moreButton = el('button', { type: 'button', class: 'mm-secondary', 'aria-expanded': 'false', 'aria-controls': 'mm-panel' });
  const viewButtons = ['list', 'map'].map((view) => el('button', {
    type: 'button', class: 'mm-secondary', 'data-view': view, 'aria-pressed': 'false',
  }, t(`view_${view}`)));
  const skip = el('a', { class: 'mm-skip', href: '#mm-status' }, t('skip'));

  function languageName(code) {
    if (code === 'cy') return t('badge_welsh');
    try {
      return new Intl.DisplayNames([LOCALE], { type: 'language' }).of(code);
    } catch (e) {
      return code;
    }
  }

  function chips(name, choices, type) {
    return choices.map(([value, label]) => el('li', {},
      el('label', {}, el('input', { type, name, value }), label)));
  }

  function radios(name, choices) {
    return el('ul', { class: 'mm-choices' }, choices.map(([value, label]) => el('li', {},
      el('label', {}, el('input', { type: 'radio', name, value }), label))));
  }

  function checkboxes(name, choices) {
    return el('ul', { class: 'mm-choices' }, choices.map(([value, label]) => el('li', {},
      el('label', {}, el('input', { type: 'checkbox', name, value }), label))));
  }

  const DAYS = DAY_CODES.map((code, i) => [code, t('weekdays').split(',')[i]]);

  const panel = el('div', { id: 'mm-panel', class: 'mm-panel', hidden: true },
    el('div', {},
      el('label', { class: 'mm-label', for: 'mm-q' }, t('keyword')), keywordInput,
      el('label', { class: 'mm-label', for: 'mm-language' }, t('language')), languageSelect),
    el('fieldset', {}, el('legend', {}, t('types')),
      checkboxes('type', BADGES.filter(([code]) => code !== 'format:newcomers' && code !== 'language:cy')
        .map(([code, key]) => [code, t(key)]))),
    el('fieldset', {}, el('legend', {}, t('access')),
      radios('access', ACCESS.map(([value, key]) => [value, t(key)]))),
    el('fieldset', {}, el('legend', {}, t('day')),
      el('p', { class: 'mm-hint' }, t('day_hint')),
      checkboxes('day', DAYS)),
    el('fieldset', {}, el('legend', {}, t('travel_time')),
      el('div', { class: 'mm-field' }, el('label', { for: 'mm-mode' }, t('travel')), modeSelect),
      el('div', { class: 'mm-field' }, el('label', { for: 'mm-minutes' }, t('within')), minutesInput)));

  // The filters people use most sit in one bar beside the place; the rest behind "More filters".
  const barExtras = [
    el('fieldset', {}, el('legend', {}, t('when')),
      el('ul', { class: 'mm-chips' }, chips('when', WHEN.map((w) => [w, t(w)]), 'radio'))),
    el('div', {}, el('label', { class: 'mm-label', for: 'mm-time' }, t('time')), timeSelect),
    el('div', {}, el('label', { class: 'mm-label', for: 'mm-attendance' }, t('attendance')), attendanceSelect),
    el('fieldset', {}, el('legend', {}, t('fellowship'), el('span', { class: 'sr-only' }, ` (${t('fellowship_hint')})`)),
      fellowships),
  ];
  // On a phone even the bar would push the meetings off the first screen: everything but the
  // place goes behind the button there.
  const hostWidth = host.getBoundingClientRect().width;
  const narrow = hostWidth > 0 && hostWidth < 560;
  const bar = el('div', { class: 'mm-bar' },
    el('div', { class: 'mm-place' },
      el('div', {},
        el('label', { class: 'mm-label', for: 'mm-near' }, t('near_label')),
        el('span', { id: 'mm-near-hint', class: 'sr-only' }, t('near_hint')),
        nearInput),
      el('button', { type: 'submit' }, t('search')),
      locate));
  if (narrow) {
    bar.append(moreButton);
    panel.prepend(...barExtras);
  } else {
    bar.append(...barExtras, moreButton);
  }
  const form = el('form', { class: 'mm-search', role: 'search', 'aria-label': t('search_label'), novalidate: true },
    bar, nearError, panel);

  const results = el('section', { class: 'mm-results', 'aria-label': t('results') },
    el('div', { class: 'mm-tools' },
      el('div', { role: 'group', 'aria-label': t('view'), class: 'mm-chips' }, viewButtons),
      handout),
    status, fallback, mapBox, days, more);

  root.append(el('section', { class: 'mm', 'aria-labelledby': 'mm-title', lang: LANG },
    skip,
    el(H(0), { id: 'mm-title', class: 'mm-title' }, t('title')),
    form, results));

  let fellowshipNames = {};
  let typeLabels = {};
  let helplines = null; // from /v1/helplines, once needed
  let place = null; // { near, label }: what to search around
  let search = null; // { query, label, shown, next, hits } of the search on screen
  let generation = 0; // a newer search makes older answers stale
  let view = 'list';

  function checked(name) {
    return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((input) => input.value);
  }

  function setChecked(name, values) {
    for (const input of form.querySelectorAll(`input[name="${name}"]`)) input.checked = values.includes(input.value);
  }

  function selectValue(select, value) {
    select.value = [...select.options].some((o) => o.value === value) ? value : select.options[0].value;
  }

  /** Puts settings (from data attributes or the address) into the controls. */
  function applySettings(s) {
    nearInput.value = s.near || '';
    setChecked('fellowship', list(s.fellowship));
    setChecked('access', [s.access || '']);
    selectValue(attendanceSelect, s.attendance || 'in_person');
    setChecked('day', list(s.day));
    selectValue(timeSelect, s.time || '');
    selectValue(modeSelect, s.mode || '');
    minutesInput.value = s.max_minutes || '';
    minutesInput.disabled = !modeSelect.value;
    setChecked('when', [WHEN.includes(s.when) ? s.when : 'week']);
    keywordInput.value = s.q || '';
    setChecked('type', list(s.type));
    selectValue(languageSelect, list(s.language)[0] || '');
    setView(s.view === 'map' ? 'map' : 'list');
    const near = (s.near || '').trim();
    place = near ? { near, label: null } : null;
    countChosen();
  }

  /** The controls as settings, for the address: only what differs from the defaults. */
  function currentSettings() {
    const s = {};
    if (place && place.near) s.near = place.near;
    const fellowship = checked('fellowship');
    if (fellowship.length) s.fellowship = fellowship.join(',');
    if (checked('access')[0]) s.access = checked('access')[0];
    if (attendanceSelect.value !== 'in_person') s.attendance = attendanceSelect.value;
    if (checked('day').length) s.day = checked('day').join(',');
    if (timeSelect.value) s.time = timeSelect.value;
    if (modeSelect.value) s.mode = modeSelect.value;
    if (modeSelect.value && minutesInput.value.trim()) s.max_minutes = minutesInput.value.trim();
    const when = checked('when')[0];
    if (when && when !== 'week') s.when = when;
    if (keywordInput.value.trim()) s.q = keywordInput.value.trim();
    if (checked('type').length) s.type = checked('type').join(',');
    if (languageSelect.value) s.language = languageSelect.value;
    if (view !== 'list') s.view = view;
    if (start.lang) s.lang = start.lang;
    return s;
  }

  /** Writes the search into the page's address: a new history entry when `push`. */
  function remember(push) {
    const params = new URLSearchParams(location.search);
    for (const key of KEYS) params.delete(PREFIX + key);
    const current = currentSettings();
    // A setting of the tag that the reader cleared is written empty, or it would come back.
    for (const key of Object.keys(initialSettingsFromTag())) if (!(key in current)) params.set(PREFIX + key, '');
    for (const [key, value] of Object.entries(current)) params.set(PREFIX + key, value);
    const query = params.toString();
    const address = `${location.pathname}${query ? `?${query}` : ''}${location.hash}`;
    if (address === `${location.pathname}${location.search}${location.hash}`) return;
    try {
      if (push) history.pushState(null, '', address);
      else history.replaceState(null, '', address);
    } catch (e) {
      // A sandboxed frame may refuse: the finder still works, only without a shareable address.
    }
  }

  const onlineMode = () => attendanceSelect.value === 'online';

  /** The local date `YYYY-MM-DD` of `date` in the reader's zone. */
  function localDate(date) {
    const pad = (n) => String(n).padStart(2, '0');
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  }

  /** The search the form describes, as a query string without paging. */
  function queryString(options) {
    const loose = options && options.loose;
    const q = new URLSearchParams();
    // Online, where someone is does not matter: every online and hybrid meeting, however far.
    if (place && !onlineMode()) q.set('near', place.near);
    const fellowship = checked('fellowship');
    if (fellowship.length) q.set('fellowship', fellowship.join(','));
    const access = checked('access')[0];
    if (access) q.set('access', access);
    const attendance = ATTENDANCE.find(([value]) => value === attendanceSelect.value);
    if (attendance && attendance[0] !== 'in_person') q.set('attendance', attendance[2]);
    const when = checked('when')[0] || 'week';
    const now = new Date();
    if (!loose) {
      const day = checked('day');
      if (when === 'today') {
        q.set('days', '1');
        q.set('day', DAY_CODES[(now.getDay() + 6) % 7]);
      } else if (when === 'tomorrow') {
        const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
        q.set('from', tomorrow.toISOString());
        q.set('days', '1');
        q.set('day', DAY_CODES[(tomorrow.getDay() + 6) % 7]);
      } else if (day.length) {
        q.set('day', day.join(','));
      }
      const time = TIMES.find(([value]) => value === timeSelect.value);
      if (time && time[2]) q.set('start_after', time[2]);
      if (time && time[3]) q.set('start_before', time[3]);
    }
    const words = keywordInput.value.trim();
    if (words) q.set('q', words);
    const types = checked('type');
    if (types.length) q.set('type', types.join(','));
    if (languageSelect.value) q.set('language', languageSelect.value);
    if (loose) {
      // However far: the widest radius the API allows, nearest first.
      q.set('radius_km', '250');
      q.set('sort', 'distance');
    } else {
      if (modeSelect.value && !onlineMode()) {
        q.set('mode', modeSelect.value);
        if (minutesInput.value.trim()) q.set('max_minutes', minutesInput.value.trim());
      }
      q.set('sort', 'time');
    }
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
        const key = name === 'start_after' || name === 'start_before' ? 'param_time' : `param_${name}`;
        others.push(`${STRINGS[key] ? t(key) : name}: ${words}.`);
      }
    }
    if (!params.length) {
      others.push(problem.status === 0 ? t('unreachable') : t('failed', { message: problem.message }));
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

  const READER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
  // Dates by Intl in the finder's language; where the browser's Intl lacks it (Chromium ships
  // no Welsh data), by the catalogue's names and patterns.
  const intlKnows = Intl.DateTimeFormat.supportedLocalesOf([LOCALE]).length > 0;
  const WEEKDAYS = t('weekdays').split(',');
  const MONTHS = t('months').split(',');
  function catalogueDate(key, date, utc) {
    const day = utc ? date.getUTCDate() : date.getDate();
    const month = utc ? date.getUTCMonth() : date.getMonth();
    const weekday = ((utc ? date.getUTCDay() : date.getDay()) + 6) % 7;
    return t(key, { weekday: WEEKDAYS[weekday], day, month: MONTHS[month], year: utc ? date.getUTCFullYear() : date.getFullYear() });
  }
  const dateHeading = intlKnows
    ? new Intl.DateTimeFormat(LOCALE, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' })
    : { format: (date) => catalogueDate('date_heading', date, true) };
  const dateChecked = intlKnows
    ? new Intl.DateTimeFormat(LOCALE, { day: 'numeric', month: 'long', year: 'numeric' })
    : { format: (date) => catalogueDate('date_full', date, false) };
  const readerClock = new Intl.DateTimeFormat(LOCALE, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

  /** "Today, Monday 30 November" for a `YYYY-MM-DD` date. */
  function dayTitle(date) {
    const [y, m, d] = date.split('-').map(Number);
    const name = dateHeading.format(new Date(Date.UTC(y, m - 1, d)));
    const now = new Date();
    const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
    if (date === localDate(now)) return t('today_day', { date: name });
    if (date === localDate(tomorrow)) return t('tomorrow_day', { date: name });
    return name;
  }

  function dayList(date) {
    let section = days.querySelector(`li[data-date="${date}"]`);
    if (!section) {
      section = el('li', { class: 'mm-day', 'data-date': date }, el(H(1), { class: 'mm-day-title' }, dayTitle(date)), el('ul', {}));
      days.append(section);
    }
    return section.querySelector('ul');
  }

  function kilometres(km) {
    const shown = Math.max(km, 0.1).toFixed(1);
    return spoken(t('km', { km: shown }), shown === '1.0' ? t('km_spoken_one') : t('km_spoken', { km: shown }));
  }

  function journey(travel) {
    const how = MODES.includes(travel.mode) ? t(`how_${travel.mode}`) : travel.mode;
    const estimate = travel.method === 'estimate' ? ` ${t('estimate')}` : '';
    return spoken(`${t('minutes', { n: travel.minutes, how })}${estimate}`,
      `${travel.minutes === 1 ? t('minutes_spoken_one', { how }) : t('minutes_spoken', { n: travel.minutes, how })}${estimate}`);
  }

  /** The conferencing service a join link is on, by its host name. */
  function platform(url) {
    const host = (() => {
      try {
        return new URL(url).hostname.toLowerCase();
      } catch (e) {
        return '';
      }
    })();
    const known = [['zoom.us', 'Zoom'], ['teams.microsoft.com', 'Microsoft Teams'], ['teams.live.com', 'Microsoft Teams'],
      ['meet.google.com', 'Google Meet'], ['skype.com', 'Skype'], ['whereby.com', 'Whereby'], ['meet.jit.si', 'Jitsi'],
      ['gotomeeting.com', 'GoTo Meeting'], ['webex.com', 'Webex'], ['discord.gg', 'Discord'], ['discord.com', 'Discord']];
    const found = known.find(([domain]) => host === domain || host.endsWith(`.${domain}`));
    return found ? found[1] : null;
  }

  /** The address lines of a location, each once. */
  function address(location) {
    const parts = [];
    for (const part of [location.venue, ...(location.address_lines || []), location.town, location.postcode]) {
      const text = (part || '').trim();
      if (!text) continue;
      const folded = text.toLowerCase();
      if (parts.some((p) => p.toLowerCase().includes(folded))) continue;
      parts.push(text);
    }
    return parts.join(', ');
  }

  /** `2027-03-28T19:30:00+01:00` as a calendar service's UTC stamp, `20270328T183000Z`. */
  function utcStamp(instant) {
    return new Date(instant).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  }

  /** Links that add the weekly meeting to Google's or Microsoft's calendar (opened only on click). */
  function calendarLinks(o, where, details) {
    const google = new URL('https://calendar.google.com/calendar/render');
    google.search = new URLSearchParams({
      action: 'TEMPLATE', text: o.name, dates: `${utcStamp(o.start)}/${utcStamp(o.end)}`,
      details, location: where, ctz: o.timezone || 'Europe/London', recur: 'RRULE:FREQ=WEEKLY',
    }).toString();
    const outlook = new URL('https://outlook.live.com/calendar/0/deeplink/compose');
    outlook.search = new URLSearchParams({
      path: '/calendar/action/compose', rru: 'addevent', subject: o.name,
      startdt: new Date(o.start).toISOString(), enddt: new Date(o.end).toISOString(), location: where, body: details,
    }).toString();
    return { google: google.href, outlook: outlook.href };
  }

  function badges(types) {
    const shown = [];
    const seen = new Set();
    for (const type of types || []) {
      const badge = BADGES.find(([code]) => code === type);
      let label = badge ? t(badge[1]) : null;
      if (!label && type.startsWith('language:') && type !== 'language:en') {
        label = t('badge_language', { language: languageName(type.slice(9)) });
      }
      if (label && !seen.has(label)) {
        seen.add(label);
        shown.push(label);
      }
    }
    return shown;
  }

  function otherTypes(types) {
    return (types || [])
      .filter((type) => !BADGES.some(([code]) => code === type) && !type.startsWith('language:'))
      .map((type) => typeLabels[type] || type.split(':').pop());
  }

  function newTab(name) {
    return el('span', { class: 'sr-only' }, `: ${name}${t('new_tab')}`);
  }

  function meetingItem(o, options) {
    const online = onlineMode();
    const far = options && options.far;
    const hhmm = (instant) => instant.slice(11, 16);
    // Online, the time that matters is the reader's own; in person, the clock where the room is.
    const clock = (instant) => (online ? readerClock.format(new Date(instant)) : hhmm(instant));
    const zoneDiffers = o.timezone && o.timezone !== READER_ZONE;
    const facts = [
      fellowshipNames[o.fellowship] || o.fellowship.toUpperCase(),
      o.attendance === 'online' ? t('online_only') : o.attendance === 'hybrid' ? t('hybrid') : null,
    ].filter(Boolean);
    const where = o.location && !online ? address(o.location) : null;
    const distance = [];
    if (!online && typeof o.distance_km === 'number') distance.push(...kilometres(o.distance_km));
    if (!online && o.travel) distance.push(distance.length ? ', ' : '', ...journey(o.travel));
    const join = o.online && o.online.url ? safeUrl(o.online.url) : null;
    const phone = o.online && o.online.phone ? o.online.phone : null;
    const directions = !online && o.directions_url ? safeUrl(o.directions_url) : null;
    const checkedOn = Date.parse(o.last_seen_at);
    const marks = badges(o.types);
    const others = otherTypes(o.types);
    const notes = [o.notes, o.location && !online ? o.location.notes : null, o.online ? o.online.notes : null]
      .filter(Boolean).join('\n');
    const details = [notes, `${API}/meetings/${o.meeting_id}`].filter(Boolean).join('\n\n');
    const calendar = calendarLinks(o, where || join || '', details);
    const service = join ? platform(join) : null;
    return el('li', { class: 'mm-meeting', id: `mm-m-${o.meeting_id}`, 'data-meeting': o.meeting_id },
      el(H(2), { tabindex: '-1', class: 'mm-name' }, o.name),
      el('p', {},
        el('span', { class: 'mm-when' },
          far ? `${dayTitle(o.start.slice(0, 10))}, ` : null,
          el('time', { datetime: o.start }, clock(o.start)),
          spoken('–', t('to')),
          el('time', { datetime: o.end }, clock(o.end))),
        online && zoneDiffers ? ` (${t('your_time')})` : null,
        !online && zoneDiffers ? ` ${t('zone_note', { zone: o.timezone })}` : null,
        o.in_progress ? ` ${t('under_way')}` : null,
        ' · ', facts.join(' · ')),
      online && zoneDiffers
        ? el('p', { class: 'mm-hint' }, t('meeting_time', { time: hhmm(o.start), zone: o.timezone })) : null,
      where || distance.length ? el('p', {},
        where ? el('span', { class: 'mm-address' }, where) : null,
        where && distance.length ? ' · ' : null,
        distance) : null,
      el('p', {}, o.access === 'open' ? t('open_meeting') : o.access === 'closed' ? t('closed_meeting') : null),
      marks.length ? el('ul', { class: 'mm-badges', 'aria-label': t('types_label') }, marks.map((m) => el('li', {}, m))) : null,
      others.length ? el('p', { class: 'mm-hint' }, t('also', { list: others.join(', ') })) : null,
      notes ? el('p', { class: 'mm-notes' }, notes) : null,
      join || phone ? el('p', { class: 'mm-online' },
        service ? `${t('platform', { platform: service })}. ` : null,
        phone ? [t('dial_in', { phone: '' }), el('a', { href: `tel:${phone.replace(/[^0-9+]/g, '')}` }, phone)] : null) : null,
      el('ul', { class: 'mm-links' },
        join ? el('li', {}, el('a', { href: join, rel: 'noopener noreferrer', target: '_blank', class: 'mm-join' },
          t('join'), newTab(o.name))) : null,
        directions ? el('li', {}, el('a', { href: directions, rel: 'noopener noreferrer', target: '_blank' },
          t('directions'), newTab(o.name))) : null,
        el('li', {}, el('a', { href: `${API}/v1/meetings/${encodeURIComponent(o.meeting_id)}.ics`, rel: 'noreferrer' },
          t('calendar'), el('span', { class: 'sr-only' }, t('calendar_every_week', { name: o.name })))),
        el('li', {}, el('a', { href: calendar.google, rel: 'noopener noreferrer', target: '_blank' },
          t('calendar_google'), newTab(o.name))),
        el('li', {}, el('a', { href: calendar.outlook, rel: 'noopener noreferrer', target: '_blank' },
          t('calendar_outlook'), newTab(o.name))),
        el('li', {}, el('a', { href: `${API}/meetings/${encodeURIComponent(o.meeting_id)}`, class: 'mm-share', target: '_blank', rel: 'noopener' },
          t('share'), el('span', { class: 'sr-only' }, `${t('share_spoken', { name: o.name })}${t('new_tab')}`)))),
      el('p', { class: 'mm-hint' },
        t('listed_by', { source: o.source.name }),
        Number.isNaN(checkedOn) ? '' : t('checked_on', { date: dateChecked.format(new Date(checkedOn)) })));
  }

  function span() {
    return t(`span_${checked('when')[0] || 'week'}`);
  }

  function countText(n) {
    return n === 1 ? t('count_one') : t('count_many', { n });
  }

  function summary() {
    const n = search.shown;
    const where = search.label ? t('near_place', { place: search.label }) : (onlineMode() ? t('online_where') : '');
    if (n === 0) return t('summary_none', { span: span(), where });
    return t(search.next ? 'summary_more' : 'summary', { count: countText(n), span: span(), where });
  }

  /** The date a session is listed under: the meeting's own, or the reader's for online meetings. */
  function listedDate(o) {
    return onlineMode() ? localDate(new Date(o.start)) : o.start.slice(0, 10);
  }

  /** Adds a page of results; returns the first new meeting's heading. */
  function addPage(page) {
    let first = null;
    for (const o of page.occurrences) {
      const item = meetingItem(o);
      dayList(listedDate(o)).append(item);
      first = first || item.querySelector('.mm-name');
      search.hits.push(o);
    }
    search.shown += page.occurrences.length;
    search.next = page.next;
    more.hidden = !page.next;
    return first;
  }

  function clearResults() {
    days.replaceChildren();
    more.hidden = true;
    fallback.hidden = true;
    fallback.replaceChildren();
    search = null;
    handout.hidden = true;
    drawMap();
  }

  async function run(push) {
    const mine = ++generation;
    const online = onlineMode();
    showNearError(null);
    if (push !== undefined) remember(push);
    if (!place && !online) {
      clearResults();
      status.textContent = t('prompt');
      return;
    }
    const query = queryString();
    status.textContent = t('searching');
    days.setAttribute('aria-busy', 'true');
    try {
      const page = await api(`/v1/occurrences?${query}&limit=${PAGE_SIZE}`);
      if (mine !== generation) return;
      const label = place && !online ? place.label || (page.resolved && page.resolved.label) || place.near : null;
      clearResults();
      search = { query, label, shown: 0, next: null, hits: [], resolved: page.resolved };
      handout.href = `${API}/handout?${query}`;
      handout.hidden = false;
      addPage(page);
      status.textContent = summary();
      if (search.shown === 0) await offerAlternatives(mine);
      drawMap();
    } catch (problem) {
      if (mine !== generation) return;
      clearResults();
      const { nearText, text } = explain(problem);
      showNearError(nearText);
      status.textContent = text;
    } finally {
      if (mine === generation) days.removeAttribute('aria-busy');
    }
  }

  /**
   * When nothing matches, never a dead end: the nearest matching meetings however far (any day
   * or time), ways to widen the search, and the fellowships' national helplines.
   */
  async function offerAlternatives(mine) {
    const parts = [];
    if (place && !onlineMode()) {
      let nearest = [];
      try {
        const page = await api(`/v1/occurrences?${queryString({ loose: true })}&limit=${NEAREST * 4}`);
        // One session per meeting: the nearest meetings, each at its next time.
        const seen = new Set();
        for (const o of page.occurrences) {
          if (seen.has(o.meeting_id)) continue;
          seen.add(o.meeting_id);
          nearest.push(o);
          if (nearest.length === NEAREST) break;
        }
      } catch (e) {
        nearest = [];
      }
      if (mine !== generation) return;
      parts.push(el(H(1), { class: 'mm-fallback-title' }, t('nearest_title')));
      if (nearest.length) {
        parts.push(el('ul', { class: 'mm-list' }, nearest.map((o) => meetingItem(o, { far: true }))));
        search.hits.push(...nearest);
      } else {
        parts.push(el('p', {}, t('nearest_none')));
      }
    }
    const choices = [];
    const minutes = Number(minutesInput.value);
    if (modeSelect.value && minutes && minutes < 240 && !onlineMode()) {
      const longer = Math.min(240, minutes * 2);
      choices.push([t('widen_minutes', { n: longer }), () => { minutesInput.value = String(longer); }]);
      if (modeSelect.value !== 'drive') choices.push([t('widen_drive'), () => { modeSelect.value = 'drive'; }]);
    }
    if (timeSelect.value) choices.push([t('widen_any_time'), () => { timeSelect.value = ''; }]);
    if ((checked('when')[0] || 'week') !== 'week' || checked('day').length) {
      choices.push([t('widen_week'), () => { setChecked('when', ['week']); setChecked('day', []); }]);
    }
    if (!onlineMode()) choices.push([t('widen_online'), () => { attendanceSelect.value = 'online'; }]);
    if (choices.length) {
      parts.push(el(H(1), { class: 'mm-fallback-title' }, t('widen_title')));
      parts.push(el('ul', { class: 'mm-widen' }, choices.map(([label, change]) => {
        const button = el('button', { type: 'button', class: 'mm-secondary' }, label);
        button.addEventListener('click', () => {
          change();
          minutesInput.disabled = !modeSelect.value;
          countChosen();
          run(true);
        });
        return el('li', {}, button);
      })));
    }
    try {
      helplines = helplines || (await api('/v1/helplines')).helplines;
    } catch (e) {
      helplines = helplines || [];
    }
    if (mine !== generation) return;
    const wanted = checked('fellowship');
    const offered = Object.keys(fellowshipNames);
    const shown = helplines.filter((h) => (wanted.length ? wanted : offered).includes(h.fellowship));
    if (shown.length) {
      parts.push(el(H(1), { class: 'mm-fallback-title' }, t('helplines_title')));
      parts.push(el('ul', { class: 'mm-helplines' }, shown.map((h) => el('li', { class: 'mm-helpline' },
        `${h.fellowship_name}: `,
        h.phone ? el('a', { href: `tel:${h.phone.replace(/[^0-9+]/g, '')}` }, h.phone) : t('helpline_no_phone'),
        ' · ',
        el('a', { href: h.web, rel: 'noopener noreferrer', target: '_blank' }, new URL(h.web).hostname.replace(/^www\./, ''),
          el('span', { class: 'sr-only' }, t('new_tab'))),
        h.checked ? null : el('span', { class: 'mm-hint' }, ` (${t('helpline_check', { source: new URL(h.source).hostname })})`)))));
    }
    fallback.replaceChildren(...parts);
    fallback.hidden = parts.length === 0;
  }

  // --- The map -------------------------------------------------------------------------------

  let outline = null; // the bundled coastline, fetched the first time the map is shown
  let outlineLoading = null;

  /** Web Mercator, as tile servers use: [0, 1) across the world, y down. */
  function project(lon, lat) {
    const sin = Math.sin((Math.max(-85, Math.min(85, lat)) * Math.PI) / 180);
    return [(lon + 180) / 360, 0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)];
  }

  function setView(next) {
    view = next;
    for (const button of viewButtons) button.setAttribute('aria-pressed', String(button.dataset.view === view));
  }

  async function drawMap() {
    if (view !== 'map') {
      mapBox.hidden = true;
      mapBox.replaceChildren();
      return;
    }
    mapBox.hidden = false;
    const tiles = CONFIG.map && CONFIG.map.tiles;
    if (!tiles && !outline) {
      mapBox.replaceChildren(el('p', { class: 'mm-hint' }, t('map_loading')));
      try {
        outlineLoading = outlineLoading || api('/embed/outline.geojson');
        outline = await outlineLoading;
      } catch (e) {
        outline = { features: [] };
      }
      if (view !== 'map') return;
    }
    const hits = search ? search.hits : [];
    const pins = new Map();
    for (const o of hits) {
      const at = o.location && typeof o.location.lat === 'number' && typeof o.location.lon === 'number' ? o.location : null;
      if (at && !pins.has(o.meeting_id)) pins.set(o.meeting_id, { o, xy: project(at.lon, at.lat) });
    }
    const you = search && search.resolved && !onlineMode() ? project(search.resolved.lon, search.resolved.lat) : null;
    const points = [...pins.values()].map((p) => p.xy).concat(you ? [you] : []);
    if (!points.length) {
      mapBox.replaceChildren(el('p', { class: 'mm-hint' }, t('map_none')));
      return;
    }
    const width = Math.max(280, Math.round(mapBox.getBoundingClientRect().width || 600));
    const height = Math.round(Math.min(420, Math.max(240, width * 0.6)));
    // Fit the results with a margin; never closer than about 20 km across, so there is
    // something around the markers to recognise.
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const min = 20 / 40075;
    let w = Math.max(Math.max(...xs) - Math.min(...xs), min) * 1.3;
    let h = Math.max(Math.max(...ys) - Math.min(...ys), min) * 1.3;
    if (w / h < width / height) w = (h * width) / height;
    else h = (w * height) / width;
    const cx = (Math.max(...xs) + Math.min(...xs)) / 2;
    const cy = (Math.max(...ys) + Math.min(...ys)) / 2;
    // Drawn in pixels of a zoom level: tiles line up, and marker sizes are fixed.
    const scale = width / w;
    const x0 = cx - w / 2;
    const y0 = cy - h / 2;
    const px = ([x, y]) => [(x - x0) * scale, (y - y0) * scale];
    const layers = [];
    if (tiles) {
      const z = Math.max(0, Math.min(18, Math.floor(Math.log2(scale / 256))));
      const n = 2 ** z;
      const size = scale / n;
      for (let tx = Math.floor(x0 * n); tx <= Math.floor((x0 + w) * n); tx++) {
        for (let ty = Math.floor(y0 * n); ty <= Math.floor((y0 + h) * n); ty++) {
          if (ty < 0 || ty >= n) continue;
          const href = tiles.replace('{z}', z).replace('{x}', ((tx % n) + n) % n).replace('{y}', ty);
          const [x, y] = px([tx / n, ty / n]);
          layers.push(svg('image', { href, x, y, width: size + 0.5, height: size + 0.5, 'aria-hidden': 'true' }));
        }
      }
    } else {
      const paths = [];
      for (const feature of outline.features || []) {
        const polygons = feature.geometry.type === 'Polygon' ? [feature.geometry.coordinates] : feature.geometry.coordinates;
        for (const polygon of polygons) {
          for (const ring of polygon) {
            paths.push(ring.map(([lon, lat], i) => {
              const [x, y] = px(project(lon, lat));
              return `${i ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)}`;
            }).join('') + 'Z');
          }
        }
      }
      layers.push(svg('path', { class: 'mm-land', d: paths.join(''), 'fill-rule': 'evenodd', 'aria-hidden': 'true' }));
    }
    // Town names where the meetings are, to find one's bearings on a plain map.
    const towns = new Map();
    for (const { o, xy } of pins.values()) {
      // Feeds without towns still have postcodes: their district (LL13) is a name too.
      const town = o.location.town || (o.location.postcode || '').trim().split(/\s+/)[0];
      if (!town) continue;
      const sum = towns.get(town) || { x: 0, y: 0, n: 0 };
      towns.set(town, { x: sum.x + xy[0], y: sum.y + xy[1], n: sum.n + 1 });
    }
    for (const [town, { x, y, n }] of towns) {
      const [tx, ty] = px([x / n, y / n]);
      layers.push(svg('text', { class: 'mm-town', x: tx, y: ty - 14, 'text-anchor': 'middle', 'aria-hidden': 'true' }, town));
    }
    if (you) {
      const [x, y] = px(you);
      layers.push(svg('g', { role: 'img', 'aria-label': `${t('map_you')}: ${search.label || ''}` },
        svg('rect', { class: 'mm-you', x: x - 7, y: y - 7, width: 14, height: 14, transform: `rotate(45 ${x} ${y})` }),
        search.label ? svg('text', { class: 'mm-town', x, y: y + 24, 'text-anchor': 'middle', 'aria-hidden': 'true' }, search.label) : null));
    }
    for (const { o, xy } of pins.values()) {
      const [x, y] = px(xy);
      const when = `${dayTitle(o.start.slice(0, 10))} ${o.start.slice(11, 16)}`;
      const pin = svg('a', { href: `#mm-m-${o.meeting_id}`, class: 'mm-pin', 'aria-label': t('map_marker', { name: o.name, when }) },
        svg('circle', { cx: x, cy: y, r: 9 }));
      pin.addEventListener('click', (event) => {
        event.preventDefault();
        const item = root.getElementById(`mm-m-${o.meeting_id}`);
        const heading = item && item.querySelector('.mm-name');
        if (heading) {
          heading.scrollIntoView({ block: 'center' });
          heading.focus();
        }
      });
      layers.push(pin);
    }
    const credit = tiles ? (CONFIG.map.attribution || '') : t('map_credit');
    mapBox.replaceChildren(
      svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': t('map_label'), width, height }, layers),
      el('p', { class: 'mm-credit' }, credit));
  }

  // --- Events --------------------------------------------------------------------------------

  more.addEventListener('click', async () => {
    if (!search || !search.next) return;
    const mine = generation;
    status.textContent = t('loading_more');
    try {
      const page = await api(`/v1/occurrences?${search.query}&limit=${PAGE_SIZE}&cursor=${encodeURIComponent(search.next)}`);
      if (mine !== generation) return;
      const first = addPage(page);
      status.textContent = summary();
      drawMap();
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
    run(true);
  });

  /** "(2 chosen)": the filters behind the "More filters" button that are in force. */
  function countChosen() {
    const n = checked('day').length + checked('type').length
      + (checked('access')[0] ? 1 : 0)
      + (keywordInput.value.trim() ? 1 : 0)
      + (languageSelect.value ? 1 : 0)
      + (modeSelect.value && minutesInput.value.trim() ? 1 : 0);
    const open = moreButton.getAttribute('aria-expanded') === 'true';
    moreButton.textContent = `${t(open ? 'fewer_filters' : 'more_filters')}${n ? ` ${t('chosen', { n })}` : ''}`;
  }

  moreButton.addEventListener('click', () => {
    const open = moreButton.getAttribute('aria-expanded') !== 'true';
    moreButton.setAttribute('aria-expanded', String(open));
    panel.hidden = !open;
    countChosen();
  });

  form.addEventListener('change', (event) => {
    if (event.target === nearInput || event.target === keywordInput) return;
    if (event.target === modeSelect) minutesInput.disabled = !modeSelect.value;
    countChosen();
    run(true);
  });

  // Words are searched when the reader presses Enter or leaves the box, not on every key.
  keywordInput.addEventListener('change', () => {
    countChosen();
    run(true);
  });

  for (const button of viewButtons) {
    button.addEventListener('click', () => {
      setView(button.dataset.view);
      remember(true);
      drawMap();
    });
  }

  skip.addEventListener('click', (event) => {
    event.preventDefault();
    const first = days.querySelector('.mm-name') || fallback.querySelector('.mm-name');
    (first || status).focus();
  });

  locate.addEventListener('click', () => {
    if (!navigator.geolocation) {
      status.textContent = t('no_geolocation');
      return;
    }
    status.textContent = t('locating');
    navigator.geolocation.getCurrentPosition((position) => {
      // About 100 metres is plenty to find meetings, and says less about where someone is.
      const lat = position.coords.latitude.toFixed(3);
      const lon = position.coords.longitude.toFixed(3);
      place = { near: `${lat},${lon}`, label: t('your_location') };
      nearInput.value = '';
      run(true);
    }, (error) => {
      status.textContent = error.code === error.PERMISSION_DENIED ? t('location_denied') : t('location_failed');
    }, { maximumAge: 600000, timeout: 20000 });
  });

  // The back and forward buttons bring back the search they left.
  window.addEventListener('popstate', () => {
    applySettings(Object.assign(initialSettingsFromTag(), addressState()));
    run();
  });

  function initialSettingsFromTag() {
    const settings = {};
    for (const key of KEYS) {
      const value = options[key.replace(/_([a-z])/g, (_, c) => c.toUpperCase())];
      if (value !== undefined && !OWN_PAGE) settings[key] = value;
    }
    return settings;
  }

  // In our own page inside an iframe, tell the framing page how tall the finder is, so it can
  // size the frame to fit (see the README's host snippet).
  if (OWN_PAGE && window.parent !== window && typeof ResizeObserver === 'function') {
    let last = 0;
    new ResizeObserver(() => {
      const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (height !== last) {
        last = height;
        window.parent.postMessage({ type: 'meetingmap:height', height }, '*');
      }
    }).observe(document.documentElement);
  }

  /** Fellowships with meetings in the directory: only those are offered (`meetings` is the
   * count the server keeps per fellowship; zero means no source lists it yet). */
  async function fellowshipsWithData() {
    const body = await api('/v1/fellowships');
    return body.fellowships.filter((f) => f.meetings > 0);
  }

  async function begin() {
    countChosen();
    try {
      const [offered, types] = await Promise.all([
        fellowshipsWithData(),
        api('/v1/types').catch(() => ({ types: [] })),
      ]);
      fellowshipNames = Object.fromEntries(offered.map((f) => [f.id, f.name]));
      typeLabels = Object.fromEntries(types.types.map((ty) => [ty.id, ty.label]));
      fellowships.append(...chips('fellowship', offered.map((f) => [f.id, f.name]), 'checkbox'));
    } catch (problem) {
      status.textContent = explain(problem).text;
      return;
    }
    applySettings(start);
    // The page's address changes only when the reader changes the search.
    run();
  }

  begin();
})();

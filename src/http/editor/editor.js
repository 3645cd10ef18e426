// The editor page: plain JavaScript talking to /v1/admin with the key the editor pasted, kept in
// sessionStorage only (gone when the tab closes; never a cookie, never localStorage).
"use strict";

const KEY = "meetingmap-editor-key";
const FIELDS = ["name", "group", "fellowship", "day", "start", "end", "types", "who_can_attend", "venue",
  "address", "town", "postcode", "latitude", "longitude", "directions", "online_link", "dial_in",
  "online_notes", "notes"];
const $ = (id) => document.getElementById(id);
let me = null;
let editing = null; // { id, etag, local, creatingIn }

function key() { return sessionStorage.getItem(KEY); }

async function api(method, path, body, headers = {}) {
  const init = { method, headers: { Authorization: `Bearer ${key()}`, ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
  if (response.status === 401) signOut("Your key was refused (mistyped, or revoked). Sign in again.");
  return { status: response.status, json, etag: response.headers.get("ETag") };
}

function text(el, value) { el.textContent = value == null ? "" : String(value); }

function signOut(message) {
  sessionStorage.removeItem(KEY);
  me = null;
  $("work").hidden = true;
  $("sign-in").hidden = false;
  $("sign-out").hidden = true;
  text($("who"), "");
  text($("sign-in-error"), message || "");
}

async function signIn(token) {
  sessionStorage.setItem(KEY, token);
  const { status, json } = await api("GET", "/v1/admin/whoami");
  if (status !== 200) {
    signOut(status === 401 ? "That key was not accepted." : `Could not sign in (${status}).`);
    return;
  }
  me = json.key;
  $("sign-in").hidden = true;
  $("work").hidden = false;
  $("sign-out").hidden = false;
  text($("who"), `Signed in as ${me.name} (${me.role})`);
  await loadVocabulary();
  await loadSources();
  await Promise.all([search(), loadReports()]);
}

async function loadVocabulary() {
  const [fellowships, types] = await Promise.all([
    fetch("/v1/fellowships").then((r) => r.json()),
    fetch("/v1/types").then((r) => r.json()),
  ]);
  const select = $("f-fellowship");
  select.replaceChildren(...fellowships.fellowships.map((f) => new Option(f.name, f.id)));
  $("type-codes").replaceChildren(...types.types.map((t) => {
    const option = document.createElement("option");
    option.value = t.id;
    option.label = t.label;
    return option;
  }));
}

async function loadSources() {
  const { json } = await api("GET", "/v1/sources");
  const local = (json ? json.sources : []).filter((s) => s.kind === "local");
  const mine = me.role === "admin" ? local.map((s) => s.id) : me.sources;
  const names = new Map((json ? json.sources : []).map((s) => [s.id, s.name]));
  $("source").replaceChildren(...mine.map((id) => new Option(names.get(id) || id, id)));
}

function when(m) {
  const s = m.schedule;
  return s ? `${s.day} ${s.start_time}` : "no fixed time";
}

async function search(event) {
  if (event) event.preventDefault();
  const params = new URLSearchParams({ q: $("q").value });
  if ($("source").value) params.set("source", $("source").value);
  const { status, json } = await api("GET", `/v1/admin/meetings?${params}`);
  const body = $("meetings").tBodies[0];
  if (status !== 200) { text($("list-status"), `Could not list meetings (${status}).`); return; }
  text($("list-status"), `${json.meetings.length} meeting${json.meetings.length === 1 ? "" : "s"}`);
  body.replaceChildren(...json.meetings.map((m) => {
    const row = document.createElement("tr");
    const cell = (value) => { const td = document.createElement("td"); text(td, value); return td; };
    const where = m.location ? [m.location.venue, m.location.town, m.location.postcode].filter(Boolean).join(", ") : "online";
    const status = cell(m.reported ? m.reported.summary : m.status.replace("_", " "));
    if (m.reported) status.className = "flag";
    const actions = document.createElement("td");
    const edit = document.createElement("button");
    edit.type = "button";
    text(edit, "Edit");
    edit.setAttribute("aria-label", `Edit ${m.name}`);
    edit.addEventListener("click", () => openMeeting(m.id));
    actions.append(edit);
    row.append(cell(m.name), cell(when(m)), cell(where), status, actions);
    return row;
  }));
}

function showForm(fields) {
  for (const f of FIELDS) {
    const input = $(`f-${f}`);
    const value = fields[f];
    input.value = Array.isArray(value) ? value.join(", ") : value == null ? "" : String(value);
    input.removeAttribute("aria-invalid");
  }
  $("f-note").value = "";
  $("edit-errors").replaceChildren();
  text($("edit-status"), "");
  $("edit-section").hidden = false;
  $("edit-title").focus();
}

async function openMeeting(id) {
  const { status, json, etag } = await api("GET", `/v1/admin/meetings/${encodeURIComponent(id)}`);
  if (status !== 200) { text($("list-status"), `Could not open ${id} (${status}).`); return; }
  editing = { id, etag, local: json.local };
  text($("edit-title"), `Edit: ${json.meeting.name}`);
  text($("edit-kind"), json.local
    ? `Kept by hand in ${json.meeting.source.name}.`
    : `Imported from ${json.meeting.source.name}: your changes are kept as corrections over the feed.`
      + (json.corrections && json.corrections.feed_changed.length
        ? ` The feed has since changed: ${json.corrections.feed_changed.join(", ")}.` : ""));
  $("withdraw").hidden = !json.local;
  $("drop-corrections").hidden = json.local || !json.corrections;
  showForm(json.fields);
  await loadHistory(id);
}

function newMeeting() {
  const source = $("source").value;
  if (!source) { text($("list-status"), "No source kept by hand is open to your key."); return; }
  editing = { creatingIn: source };
  text($("edit-title"), "Add a meeting");
  text($("edit-kind"), `It will be listed in ${$("source").selectedOptions[0].text}.`);
  $("withdraw").hidden = true;
  $("drop-corrections").hidden = true;
  showForm({ fellowship: "smart", types: [] });
  $("history").replaceChildren();
}

function formFields() {
  const fields = {};
  for (const f of FIELDS) {
    const value = $(`f-${f}`).value.trim();
    if (f === "types") fields.types = value ? value.split(",").map((t) => t.trim()).filter(Boolean) : [];
    else fields[f] = value === "" ? null : value;
  }
  return fields;
}

function showErrors(json, status) {
  const list = $("edit-errors");
  const params = (json && json.invalid_params) || [];
  for (const f of FIELDS) $(`f-${f}`).removeAttribute("aria-invalid");
  const items = params.map((p) => {
    const input = $(`f-${p.name}`);
    if (input) input.setAttribute("aria-invalid", "true");
    const li = document.createElement("li");
    text(li, `${p.name}: ${p.reason}`);
    return li;
  });
  const heading = document.createElement("p");
  text(heading, (json && json.detail && !params.length) ? json.detail : `Not saved (${status}): please fix`);
  const ul = document.createElement("ul");
  ul.append(...items);
  list.replaceChildren(heading, ul);
}

async function save(event) {
  event.preventDefault();
  const note = $("f-note").value.trim() || null;
  let result;
  if (editing.creatingIn) {
    result = await api("POST", `/v1/admin/sources/${encodeURIComponent(editing.creatingIn)}/meetings`, { fields: formFields(), note });
  } else if (editing.local) {
    result = await api("PUT", `/v1/admin/meetings/${encodeURIComponent(editing.id)}`, { fields: formFields(), note }, { "If-Match": editing.etag });
  } else {
    // Only what the editor changed becomes a correction.
    const current = await api("GET", `/v1/admin/meetings/${encodeURIComponent(editing.id)}`);
    const changed = {};
    const now = formFields();
    for (const f of FIELDS) {
      const before = current.json.fields[f];
      const a = JSON.stringify(Array.isArray(before) ? before : before == null ? null : String(before));
      const b = JSON.stringify(now[f]);
      if (a !== b) changed[f] = now[f];
    }
    result = await api("PATCH", `/v1/admin/meetings/${encodeURIComponent(editing.id)}`, { fields: changed, note }, { "If-Match": editing.etag });
  }
  if (result.status === 200 || result.status === 201) {
    editing = { id: result.json.meeting.id, etag: result.etag, local: result.json.local };
    $("edit-errors").replaceChildren();
    text($("edit-status"), "Saved. The change is live in the directory.");
    text($("edit-title"), `Edit: ${result.json.meeting.name}`);
    $("withdraw").hidden = !result.json.local;
    $("drop-corrections").hidden = result.json.local || !result.json.corrections;
    await Promise.all([search(), loadHistory(editing.id)]);
  } else if (result.status === 412) {
    showErrors({ detail: "Someone else changed this meeting while you were editing. Close it and open it again to see their change." }, 412);
  } else {
    showErrors(result.json, result.status);
  }
}

async function withdraw() {
  if (!confirm("Withdraw this meeting from the directory?")) return;
  const note = $("f-note").value.trim() || null;
  const result = await api("DELETE", `/v1/admin/meetings/${encodeURIComponent(editing.id)}`, { note }, { "If-Match": editing.etag });
  if (result.status === 204) {
    $("edit-section").hidden = true;
    text($("list-status"), "Withdrawn.");
    await search();
  } else showErrors(result.json, result.status);
}

async function dropCorrections() {
  const result = await api("DELETE", `/v1/admin/meetings/${encodeURIComponent(editing.id)}/corrections`, { note: $("f-note").value.trim() || null }, { "If-Match": editing.etag });
  if (result.status === 200) await openMeeting(editing.id);
  else showErrors(result.json, result.status);
}

async function loadHistory(id) {
  const { status, json } = await api("GET", `/v1/meetings/${encodeURIComponent(id)}/history?limit=50`);
  const list = $("history");
  if (status !== 200) { list.replaceChildren(); return; }
  list.replaceChildren(...json.audit.map((a) => {
    const li = document.createElement("li");
    const head = document.createElement("p");
    text(head, `${a.at.slice(0, 16).replace("T", " ")} UTC: ${a.action.replace("_", " ")} by ${a.key_name}${a.note ? ` (${a.note})` : ""}`);
    const diff = document.createElement("p");
    diff.className = "diff";
    text(diff, Object.entries(a.diff).map(([f, d]) => `${f}: ${JSON.stringify(d.before)} → ${JSON.stringify(d.after)}`).join("\n"));
    li.append(head, diff);
    return li;
  }));
}

async function loadReports() {
  const { status, json } = await api("GET", "/v1/admin/reports?status=open");
  const list = $("reports");
  if (status !== 200) { text($("reports-status"), `Could not load reports (${status}).`); return; }
  text($("report-count"), `(${json.reports.length})`);
  // Meetings by name, as people know them (a withdrawn one keeps its id).
  const names = new Map();
  await Promise.all([...new Set(json.reports.map((r) => r.meeting_id))].map(async (id) => {
    const response = await fetch(`/v1/meetings/${encodeURIComponent(id)}`);
    if (response.ok) names.set(id, (await response.json()).name);
  }));
  text($("reports-status"), json.reports.length ? "" : "No open reports.");
  list.replaceChildren(...json.reports.map((r) => {
    const li = document.createElement("li");
    const p = document.createElement("p");
    text(p, `${r.created_at.slice(0, 10)}: ${r.reason.replace("_", " ")}, ${names.get(r.meeting_id) || r.meeting_id}${r.text ? `: “${r.text}”` : ""}`);
    const open = document.createElement("button");
    open.type = "button";
    text(open, "Open meeting");
    open.addEventListener("click", () => openMeeting(r.meeting_id));
    const close = (status, label) => {
      const b = document.createElement("button");
      b.type = "button";
      text(b, label);
      b.addEventListener("click", async () => {
        const result = await api("PATCH", `/v1/admin/reports/${r.id}`, { status });
        if (result.status === 200) { await Promise.all([loadReports(), search()]); }
        else text($("reports-status"), `Could not update the report (${result.status}).`);
      });
      return b;
    };
    li.append(p, open, document.createTextNode(" "), close("resolved", "Resolved"), document.createTextNode(" "), close("dismissed", "Dismiss"));
    return li;
  }));
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", (e) => { e.preventDefault(); signIn($("key").value.trim()); $("key").value = ""; });
  $("sign-out").addEventListener("click", () => signOut("Signed out."));
  $("search-form").addEventListener("submit", search);
  $("new-meeting").addEventListener("click", newMeeting);
  $("edit-form").addEventListener("submit", save);
  $("withdraw").addEventListener("click", withdraw);
  $("drop-corrections").addEventListener("click", dropCorrections);
  $("cancel").addEventListener("click", () => { $("edit-section").hidden = true; editing = null; });
  if (key()) signIn(key());
});

// The audit console: plain ES module over the service's own API, no build step. The access
// token lives in this module's memory only (never storage, never the URL).
const session = { tenant: '', clientId: '', token: '' };
const $ = (selector) => document.querySelector(selector);
const ACTIONS = [
  'primaryAuthenticateUP', 'createUser', 'updateUser', 'deleteUser', 'createAdapterConfiguration',
  'updateAdapterConfiguration', 'deleteAdapterConfiguration', 'createUPAuthenticator',
  'updateUPAuthenticator', 'deleteUPAuthenticator', 'importUsers', 'importDevices',
  'importOrganizations', 'addDevice', 'createOrganization', 'createCibaRequest',
  'indirectDeliverChallenge', 'approveChallenge', 'denyChallenge', 'expireCibaRequest',
  'notifyCibaClient', 'searchAuditRecords', 'readAuditRecord', 'exportAuditRecords',
];
// Records written by background jobs rather than by the request that started them.
const BACKGROUND_ACTIONS = new Set(['indirectDeliverChallenge', 'expireCibaRequest', 'notifyCibaClient']);

/** Every call carries a correlation id of its own, so the console's reads are traceable too. */
function correlationId() {
  return `console-${crypto.randomUUID()}`;
}

async function api(path, options = {}) {
  const headers = { 'x-correlation-id': correlationId(), ...(options.headers ?? {}) };
  if (session.token) headers.authorization = `Bearer ${session.token}`;
  const res = await fetch(`/${session.tenant}${path}`, { ...options, headers });
  if (res.status === 401 && session.token) signOut('Your session expired: sign in again.');
  return res;
}

async function apiJson(path, options) {
  const res = await api(path, options);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.detail ?? body.error_description ?? `HTTP ${res.status}`);
  return body;
}

// ---- sign-in -------------------------------------------------------------------------
$('#sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const error = $('#sign-in-error');
  error.textContent = '';
  session.tenant = String(form.get('tenant'));
  const res = await fetch(`/${session.tenant}/authn/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-correlation-id': correlationId() },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: String(form.get('clientId')),
      client_secret: String(form.get('secret')),
    }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || !body.access_token) {
    error.textContent = body.error_description ?? `Sign-in failed (HTTP ${res.status})`;
    return;
  }
  session.token = body.access_token;
  session.clientId = String(form.get('clientId'));
  event.target.reset();
  $('#who').textContent = `${session.clientId} @ ${session.tenant}`;
  $('#nav').hidden = false;
  route();
});

function signOut(message = '') {
  stopLive();
  session.token = '';
  session.clientId = '';
  $('#nav').hidden = true;
  $('#results tbody').replaceChildren();
  $('#timeline').replaceChildren();
  $('#sign-in-error').textContent = message;
  location.hash = '';
  route();
}
$('#sign-out').addEventListener('click', () => signOut());

// ---- routing -------------------------------------------------------------------------
const VIEWS = ['sign-in-view', 'search-view', 'timeline-view', 'record-view'];
function show(view) {
  for (const id of VIEWS) $(`#${id}`).hidden = id !== view;
  const heading = $(`#${view} h2`);
  heading.tabIndex = -1;
  heading.focus();
}

function route() {
  stopLive();
  if (!session.token) return show('sign-in-view');
  const [view, ...rest] = location.hash.slice(1).split('/').map(decodeURIComponent);
  if (view === 'timeline' && rest.length === 2) return openTimeline(rest[0], rest[1]);
  if (view === 'record' && rest[0]) return openRecord(rest[0]);
  show('search-view');
}
window.addEventListener('hashchange', route);
document.addEventListener('keydown', (event) => {
  if (event.key === '/' && !['INPUT', 'SELECT', 'TEXTAREA'].includes(document.activeElement?.tagName)) {
    event.preventDefault();
    if (!$('#search-view').hidden) $('#filter').focus();
  }
});

// ---- search --------------------------------------------------------------------------
$('#actions').replaceChildren(...ACTIONS.map((a) => Object.assign(document.createElement('option'), { value: a })));
const search = { filter: '', order: 'ascending', cursor: '' };

const quote = (value) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const isoOf = (local) => new Date(local).toISOString();

function filterFromForm() {
  const form = new FormData($('#search'));
  const terms = [];
  const text = (name) => String(form.get(name) ?? '').trim();
  if (text('correlationId')) terms.push(`correlationId eq ${quote(text('correlationId'))}`);
  if (text('coi')) terms.push(`coi eq ${quote(text('coi'))}`);
  if (text('user')) {
    const user = quote(text('user'));
    terms.push(`(actingUserId.id eq ${user} or targetUserId.id eq ${user})`);
  }
  if (text('action')) terms.push(`action.actionName eq ${quote(text('action'))}`);
  if (text('result')) terms.push(`result eq ${quote(text('result'))}`);
  if (text('from')) terms.push(`created ge ${quote(isoOf(text('from')))}`);
  if (text('to')) terms.push(`created le ${quote(isoOf(text('to')))}`);
  if (text('filter')) terms.push(terms.length ? `(${text('filter')})` : text('filter'));
  return terms.join(' and ');
}

$('#search').addEventListener('submit', (event) => {
  event.preventDefault();
  search.filter = filterFromForm();
  search.cursor = '';
  void runSearch();
});
$('#sort-time').addEventListener('click', () => {
  search.order = search.order === 'ascending' ? 'descending' : 'ascending';
  $('#sort-time').textContent = `Time ${search.order === 'ascending' ? '▲' : '▼'}`;
  search.cursor = '';
  void runSearch();
});
$('#first-page').addEventListener('click', () => {
  search.cursor = '';
  void runSearch();
});
$('#next-page').addEventListener('click', () => void runSearch());

async function runSearch() {
  const status = $('#search-status');
  status.textContent = 'Searching…';
  const params = new URLSearchParams({
    count: '50',
    sortBy: 'created',
    sortOrder: search.order,
    cursor: search.cursor,
  });
  if (search.filter) params.set('filter', search.filter);
  try {
    const page = await apiJson(`/v2/AuditRecords?${params}`);
    const rows = page.Resources ?? page.resources ?? [];
    $('#results tbody').replaceChildren(...rows.map(resultRow));
    status.textContent = `${page.totalResults} record${page.totalResults === 1 ? '' : 's'}`;
    $('#first-page').disabled = !search.cursor;
    search.cursor = page.nextCursor ?? '';
    $('#next-page').disabled = !page.nextCursor;
  } catch (error) {
    status.textContent = error.message;
  }
}

function link(text, hash, label) {
  const a = Object.assign(document.createElement('a'), { href: hash, textContent: text });
  if (label) a.setAttribute('aria-label', label);
  return a;
}
function cell(content) {
  const td = document.createElement('td');
  if (content instanceof Node) td.append(content);
  else td.textContent = content ?? '';
  return td;
}
const timelineHash = (kind, value) => `#timeline/${kind}/${encodeURIComponent(value)}`;

function resultRow(r) {
  const tr = document.createElement('tr');
  if (r.result === 'RESPONSE_FAILURE') tr.className = 'failure';
  tr.append(
    cell(link(r.created, `#record/${r.id}`, `Record ${r.action?.actionName} at ${r.created}`)),
    cell(r.action?.actionName),
    cell(shortResult(r)),
    cell(r.actingUserId?.id),
    cell(r.targetUserId?.id ?? r.targetUserId?.immutableId),
    cell(r.correlationId ? link(r.correlationId, timelineHash('correlationId', r.correlationId)) : ''),
    cell(r.coi ? link(r.coi, timelineHash('coi', r.coi)) : ''),
  );
  return tr;
}
const shortResult = (r) =>
  r.result === 'RESPONSE_FAILURE' ? `failure ${r.return_value?.status ?? ''}`.trim() : 'success';

// ---- export --------------------------------------------------------------------------
for (const format of ['ndjson', 'csv']) {
  $(`#export-${format}`).addEventListener('click', async () => {
    const status = $('#search-status');
    const params = new URLSearchParams({ format });
    const filter = filterFromForm();
    if (filter) params.set('filter', filter);
    status.textContent = 'Exporting…';
    const res = await api(`/v2/AuditRecords/.export?${params}`);
    if (!res.ok) {
      status.textContent = (await res.json().catch(() => ({}))).detail ?? `HTTP ${res.status}`;
      return;
    }
    const blob = await res.blob();
    const a = Object.assign(document.createElement('a'), {
      href: URL.createObjectURL(blob),
      download: `audit-${session.tenant}.${format}`,
    });
    a.click();
    URL.revokeObjectURL(a.href);
    status.textContent = `Exported ${blob.size} bytes (the CLI resumes large exports)`;
  });
}

// ---- timeline ------------------------------------------------------------------------
const timeline = { kind: '', value: '', records: [], ids: new Set(), live: undefined };

async function openTimeline(kind, value) {
  show('timeline-view');
  Object.assign(timeline, { kind, value, records: [], ids: new Set() });
  $('#timeline-title').textContent = `Timeline of ${kind === 'coi' ? 'COI' : 'correlation id'} ${value}`;
  $('#timeline').replaceChildren();
  $('#timeline-summary').textContent = 'Loading…';
  const filter = `${kind === 'coi' ? 'coi' : 'correlationId'} eq ${quote(value)}`;
  try {
    let cursor = '';
    do {
      const params = new URLSearchParams({ filter, count: '1000', cursor });
      const page = await apiJson(`/v2/AuditRecords?${params}`);
      addToTimeline(page.Resources ?? page.resources ?? []);
      cursor = page.nextCursor ?? '';
    } while (cursor && timeline.records.length < 20000);
  } catch (error) {
    $('#timeline-summary').textContent = error.message;
    return;
  }
  if ($('#live').checked) startLive(filter);
}

function addToTimeline(records) {
  for (const r of records) {
    if (timeline.ids.has(r.id)) continue;
    timeline.ids.add(r.id);
    timeline.records.push(r);
  }
  timeline.records.sort((a, b) => a.created.localeCompare(b.created) || a.id.localeCompare(b.id));
  renderTimeline();
}

function isBackground(r) {
  const p = r.action?.actionParameters ?? {};
  if (BACKGROUND_ACTIONS.has(r.action?.actionName)) return true;
  // Bulk import items and ends run in the import job, after the request answered.
  return Boolean(r.coi) && (p.step === 'end' || p.index !== undefined || (p.step === undefined && /^(createUser|addDevice|createOrganization)$/.test(r.action?.actionName ?? '')));
}

function renderTimeline() {
  const records = timeline.records;
  const start = records.length ? Date.parse(records[0].created) : 0;
  const groups = [];
  for (const r of records) {
    const last = groups[groups.length - 1];
    if (last && last.requestId === r.requestId) last.records.push(r);
    else groups.push({ requestId: r.requestId, records: [r] });
  }
  const failures = records.filter((r) => r.result === 'RESPONSE_FAILURE').length;
  $('#timeline-summary').textContent =
    `${records.length} records in ${new Set(records.map((r) => r.requestId)).size} requests, ${failures} failed`;
  $('#timeline').replaceChildren(
    ...groups.map((group) => {
      const li = document.createElement('li');
      li.className = 'request';
      const h = document.createElement('h3');
      h.textContent = `Request ${group.requestId}`;
      const list = document.createElement('ol');
      list.append(...group.records.map((r) => timelineEntry(r, start)));
      li.append(h, list);
      return li;
    }),
  );
}

function timelineEntry(r, start) {
  const li = document.createElement('li');
  li.className = `entry${r.result === 'RESPONSE_FAILURE' ? ' failure' : ''}${isBackground(r) ? ' background' : ''}`;
  li.dataset.action = r.action?.actionName ?? '';
  const offset = document.createElement('span');
  offset.className = 'offset';
  offset.textContent = `+${((Date.parse(r.created) - start) / 1000).toFixed(3)} s`;
  const story = document.createElement('span');
  story.className = 'story';
  const target = r.targetUserId?.id ?? r.action?.actionParameters?.entityId ?? r.action?.actionParameters?.clientId ?? '';
  story.append(
    `${r.actingUserId?.id ?? 'unknown'} → `,
    link(r.action?.actionName ?? '?', `#record/${r.id}`, `Record ${r.action?.actionName} at ${r.created}`),
    target ? ` → ${target}` : '',
  );
  const result = document.createElement('span');
  result.className = 'result';
  result.textContent = shortResult(r) + (r.message ? `: ${r.message}` : '');
  const tags = document.createElement('span');
  tags.className = 'tags';
  if (isBackground(r)) tags.append(Object.assign(document.createElement('span'), { className: 'tag', textContent: 'background' }));
  if (r.coi && !(timeline.kind === 'coi' && timeline.value === r.coi)) tags.append(link(`COI ${r.coi}`, timelineHash('coi', r.coi)));
  if (r.correlationId && !(timeline.kind === 'correlationId' && timeline.value === r.correlationId)) {
    tags.append(link(`correlation ${r.correlationId}`, timelineHash('correlationId', r.correlationId)));
  }
  const time = Object.assign(document.createElement('time'), { dateTime: r.created, textContent: r.created });
  li.append(offset, story, result, tags, time);
  return li;
}

// Live updates through the Server-Sent Events tail, read with fetch (EventSource cannot
// send the Authorization header).
$('#live').addEventListener('change', () => {
  if (!$('#live').checked) return stopLive();
  if (timeline.value) startLive(`${timeline.kind === 'coi' ? 'coi' : 'correlationId'} eq ${quote(timeline.value)}`);
});

function startLive(filter) {
  stopLive();
  const abort = new AbortController();
  timeline.live = abort;
  const last = timeline.records[timeline.records.length - 1];
  const params = new URLSearchParams({ filter });
  if (last) params.set('lastEventId', last.id);
  $('#live-status').textContent = 'following…';
  void (async () => {
    const res = await api(`/v2/AuditRecords/.tail?${params}`, { signal: abort.signal });
    if (!res.ok || !res.body) {
      $('#live-status').textContent = `live updates unavailable (HTTP ${res.status})`;
      return;
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      let end;
      while ((end = text.indexOf('\n\n')) >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data && block.includes('event: auditRecord')) addToTimeline([JSON.parse(data.slice(6))]);
      }
    }
    $('#live-status').textContent = 'stopped';
  })().catch((error) => {
    if (!abort.signal.aborted) $('#live-status').textContent = `live updates stopped: ${error.message}`;
  });
}

function stopLive() {
  timeline.live?.abort();
  timeline.live = undefined;
  $('#live-status').textContent = '';
}

// ---- record detail -------------------------------------------------------------------
async function openRecord(id) {
  show('record-view');
  $('#record-json').textContent = 'Loading…';
  let r;
  try {
    r = await apiJson(`/v2/AuditRecords/${encodeURIComponent(id)}`);
  } catch (error) {
    $('#record-json').textContent = error.message;
    return;
  }
  $('#record-title').textContent = `Record ${r.action?.actionName} at ${r.created}`;
  const facts = [
    ['Result', shortResult(r) + (r.message ? `: ${r.message}` : '')],
    ['Actor', r.actingUserId?.id],
    ['Target', r.targetUserId?.id ?? r.targetUserId?.immutableId],
    ['Correlation id', r.correlationId ? link(r.correlationId, timelineHash('correlationId', r.correlationId)) : 'none'],
    ['COI', r.coi ? link(r.coi, timelineHash('coi', r.coi)) : 'none'],
    ['Request id', r.requestId],
    ['Client address', r.client?.ipAddress ?? 'not available'],
    ['User agent', r.client?.userAgent ?? 'not available'],
    ['Trace id', r.traceId ?? 'not available'],
    ['Hash', r.hash],
  ];
  $('#record-facts').replaceChildren(
    ...facts.flatMap(([term, value]) => {
      const dt = Object.assign(document.createElement('dt'), { textContent: term });
      const dd = document.createElement('dd');
      dd.append(value ?? '');
      return [dt, dd];
    }),
  );
  $('#record-changes').replaceChildren(changesTable(r.changes));
  $('#record-json').textContent = JSON.stringify(r, null, 2);
  $('#record-verification').replaceChildren(await verification(r));
}

function changesTable(changes) {
  if (!Array.isArray(changes)) return Object.assign(document.createElement('p'), { textContent: 'not available for this record' });
  if (changes.length === 0) return Object.assign(document.createElement('p'), { textContent: 'no changes' });
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const h of ['Attribute', 'Operation', 'Before', 'After']) head.append(Object.assign(document.createElement('th'), { textContent: h, scope: 'col' }));
  const body = table.createTBody();
  const show = (v) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
  for (const c of changes) {
    const row = body.insertRow();
    for (const v of [c.attribute, c.op, show(c.before), show(c.after)]) row.insertCell().textContent = v;
  }
  return table;
}

/** sealed / pending / failed when the integrity endpoints exist, else "not available". */
async function verification(r) {
  const p = document.createElement('p');
  if (r.seal) {
    p.className = 'sealed';
    p.textContent = `sealed by seal ${r.seal.id ?? ''}`;
    const proof = Object.assign(document.createElement('pre'), { textContent: JSON.stringify(r.seal, null, 2) });
    const result = await api(`/v2/AuditRecords/.verify?${new URLSearchParams({ from: r.created, to: r.created })}`).catch(() => undefined);
    if (result?.ok) {
      const body = await result.json();
      if (body.verified === false) {
        p.className = 'failure';
        p.textContent = `failed: ${JSON.stringify(body.firstFailure ?? {})}`;
      }
    }
    const wrap = document.createElement('div');
    wrap.append(p, proof);
    return wrap;
  }
  const keys = await api('/v2/AuditRecords/.sealing-keys').catch(() => undefined);
  p.textContent = keys?.ok ? 'pending: not sealed yet' : 'not available (the service does not seal records)';
  return p;
}

route();

import { createHash } from 'node:crypto';
import { compactVerify, createLocalJWKSet } from 'jose';
import { ClientRequest, get } from 'node:http';
import { bulkRecords, recordAs } from '../utils/audit-seed';
import { listen } from '../utils/http';
import { useTestApp } from '../utils/suite';
import { uniqueId } from '../utils/test-app';

/** Streamed export and live tail of the trail (issue 16, docs/audit-export.md). */
describe('AuditRecords .export and .tail', () => {
  const s = useTestApp({ env: { EXPORT_BATCH_SIZE: '100', TAIL_POLL_INTERVAL_MS: '100' } });
  const exportUrl = (query: string) => `/${s.t.tenant}/v2/AuditRecords/.export?${query}`;

  it('exports exactly what search returns, in (created, id) order, with a manifest', async () => {
    const cid = uniqueId('export');
    await bulkRecords(s.t, 250, cid);
    const filter = encodeURIComponent(`correlationId eq "${cid}"`);
    const res = await s.send({
      method: 'GET',
      url: exportUrl(`filter=${filter}`),
      correlationId: cid + '-x',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const lines = res.body.trimEnd().split('\n');
    expect(lines).toHaveLength(251);
    const manifest = JSON.parse(lines.pop()!);
    const body = res.body.slice(0, res.body.length - JSON.stringify(manifest).length - 1);
    expect(manifest).toMatchObject({
      schemas: ['urn:hid:scim:api:idp:2.0:AuditExportManifest'],
      tenantId: s.t.tenant,
      format: 'ndjson',
      count: 250,
      filter: `correlationId eq "${cid}"`,
      sha256: createHash('sha256').update(body).digest('hex'),
    });
    expect(manifest.seals).toBeUndefined();

    // Signed with the sealing key: checkable offline against the published JWKS.
    const { signature, ...signed } = manifest;
    const jwks = (
      await s.t.request({ method: 'GET', url: `/${s.t.tenant}/v2/AuditRecords/.sealing-keys` })
    ).json();
    const verified = await compactVerify(signature, createLocalJWKSet(jwks));
    expect(verified.protectedHeader).toMatchObject({
      alg: 'EdDSA',
      typ: 'audit-export-manifest+jws',
    });
    expect(JSON.parse(Buffer.from(verified.payload).toString('utf8'))).toEqual(signed);

    const searched: unknown[] = [];
    let cursor = '';
    for (;;) {
      const page = (
        await s.send({
          method: 'GET',
          url: `/${s.t.tenant}/v2/AuditRecords?filter=${filter}&count=1000&cursor=${cursor}`,
        })
      ).json();
      searched.push(...page.Resources);
      if (!page.nextCursor) break;
      cursor = encodeURIComponent(page.nextCursor);
    }
    expect(lines.map((l) => JSON.parse(l))).toEqual(searched);
    expect(manifest.firstId).toBe((searched[0] as { id: string }).id);
    expect(manifest.lastId).toBe((searched[249] as { id: string }).id);

    // Recorded once, with what was asked.
    const [record] = await s.t.recordsFor(cid + '-x');
    expect(record.action_name).toBe('exportAuditRecords');
    expect(record.action_parameters).toMatchObject({
      format: 'ndjson',
      filter: `correlationId eq "${cid}"`,
    });

    // Resumes after a record id: the rest, in order.
    const after = JSON.parse(lines[99]).id;
    const rest = await s.send({ method: 'GET', url: exportUrl(`filter=${filter}&after=${after}`) });
    const restLines = rest.body.trimEnd().split('\n');
    expect(restLines).toHaveLength(151);
    expect(restLines.slice(0, 150)).toEqual(lines.slice(100));
  });

  it('exports CSV with the JSON as the last column and the manifest in a trailer', async () => {
    const cid = uniqueId('csv');
    await recordAs(s.t, { correlationId: cid }, 'createUser', { message: '=1+2, "quoted"\nline' });
    await recordAs(s.t, { correlationId: cid }, 'updateUser', { parameters: { method: 'PUT' } });
    const filter = encodeURIComponent(`correlationId eq "${cid}"`);
    const res = await s.t.app.inject({
      method: 'GET',
      url: exportUrl(`filter=${filter}&format=csv`),
      headers: { authorization: `Bearer ${s.token}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.body.startsWith('id,created,correlationId,')).toBe(true);
    expect(res.body).toContain(`"'=1+2, ""quoted""\nline"`);
    const manifest = JSON.parse(String(res.trailers['x-export-manifest']));
    expect(manifest).toMatchObject({ format: 'csv', count: 2 });
    expect(manifest.sha256).toBe(createHash('sha256').update(res.body).digest('hex'));
  });

  it('answers bad input in SCIM form, never 5xx', async () => {
    const bad = await s.send({ method: 'GET', url: exportUrl('filter=nope%20eq') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().scimType).toBe('invalidFilter');
    const format = await s.send({ method: 'GET', url: exportUrl('format=xml') });
    expect(format.statusCode).toBe(400);
    expect(format.json().scimType).toBe('invalidValue');
    const after = await s.send({ method: 'GET', url: exportUrl('after=not-an-id') });
    expect(after.statusCode).toBe(400);
    const anonymous = await s.t.request({ method: 'GET', url: exportUrl('') });
    expect(anonymous.statusCode).toBe(401);
    const noScope = await s.t.request({
      method: 'GET',
      url: exportUrl(''),
      token: await s.t.adminToken(s.t.tenant, 'users:read'),
    });
    expect(noScope.statusCode).toBe(403);
  });

  it('tails new matching records as Server-Sent Events and resumes with Last-Event-ID', async () => {
    const port = await listen(s.t.app);
    const cid = uniqueId('tail');
    const filter = encodeURIComponent(`correlationId eq "${cid}"`);
    const url = `http://127.0.0.1:${port}/${s.t.tenant}/v2/AuditRecords/.tail?filter=${filter}`;
    const events = await readEvents(url, s.token, {}, 2, async () => {
      await recordAs(s.t, { correlationId: uniqueId('other') }, 'createUser');
      await recordAs(s.t, { correlationId: cid }, 'createUser');
      await recordAs(s.t, { correlationId: cid }, 'deleteUser');
    });
    expect(events.map((e) => e.data.action.actionName)).toEqual(['createUser', 'deleteUser']);
    expect(events[0].id).toBe(events[0].data.id);

    // Reconnecting after the first gets the second again, then what comes next.
    const resumed = await readEvents(url, s.token, { 'last-event-id': events[0].id }, 2, () =>
      recordAs(s.t, { correlationId: cid }, 'updateUser', { parameters: { method: 'PATCH' } }),
    );
    expect(resumed.map((e) => e.data.action.actionName)).toEqual(['deleteUser', 'updateUser']);
  }, 20_000);
});

interface SseEvent {
  id: string;
  data: any;
}

/** Opens the stream over a socket, runs `act`, and reads `count` record events (within 5 s). */
async function readEvents(
  url: string,
  token: string,
  headers: Record<string, string>,
  count: number,
  act: () => Promise<unknown>,
): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  let request: ClientRequest | undefined;
  let connected!: () => void;
  const opened = new Promise<void>((resolve) => (connected = resolve));
  const read = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${events.length} events`)), 5000);
    request = get(url, { headers: { authorization: `Bearer ${token}`, ...headers } }, (res) => {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/event-stream');
      res.setEncoding('utf8');
      connected();
      let text = '';
      res.on('data', (chunk: string) => {
        text += chunk;
        let end: number;
        while ((end = text.indexOf('\n\n')) >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const field = (name: string) =>
            block
              .split('\n')
              .find((l) => l.startsWith(`${name}: `))
              ?.slice(name.length + 2);
          if (field('event') === 'auditRecord') {
            events.push({ id: field('id')!, data: JSON.parse(field('data')!) });
          }
        }
        if (events.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    request.on('error', reject);
  });
  try {
    await Promise.race([opened, read]);
    await act();
    await read;
  } finally {
    request?.destroy();
  }
  return events;
}

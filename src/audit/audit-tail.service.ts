import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Readable } from 'node:stream';
import { scimError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SearchService } from '../search/search.service';
import { AuditStreamRepository, StreamedRecordRow } from './audit-stream.repository';
import { AuditFilterSql, AuditKey, compileAuditFilter } from './audit-stream.queries';
import { AuditService } from './audit.service';

/**
 * How far back each poll looks again for records committed late: a record's `created` is
 * taken when it is inserted, and its transaction may commit a moment later than a record
 * created after it. Ids already sent are remembered over this window.
 */
const LATE_COMMIT_WINDOW_MS = 5000;
/** Rows one poll reads per group; a full batch means the next poll continues from its end. */
const POLL_LIMIT = 1000;
/** A client that falls this far behind is disconnected; it resumes with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 4 << 20;
const HEARTBEAT_MS = 15_000;

interface Subscriber {
  deliver(rows: StreamedRecordRow[]): void;
  end(): void;
}

/** Everyone tailing one tenant with one filter: one statement per poll, however many. */
interface TailGroup {
  tenant: string;
  filter: AuditFilterSql;
  /** Records created before this were there before the group started. */
  floor: Date;
  key?: AuditKey;
  seen: Map<string, number>;
  catchingUp: boolean;
  subscribers: Set<Subscriber>;
}

/**
 * The live tail (`GET /AuditRecords/.tail`, Server-Sent Events). One timer polls the search
 * connections every TAIL_POLL_INTERVAL_MS, once per (tenant, filter) that someone tails, by
 * (created, id) key, so database load grows with distinct filters, not with clients. A
 * client that resumes with Last-Event-ID first catches up by keyset from that record, then
 * joins its group; ids are never sent twice on one connection.
 */
@Injectable()
export class AuditTailService implements OnModuleDestroy {
  private readonly logger = new Logger(AuditTailService.name);
  private readonly groups = new Map<string, TailGroup>();
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly stream: AuditStreamRepository,
    private readonly audit: AuditService,
    private readonly search: SearchService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Opens a tail: the SSE body, ended when the caller's connection closes (`close`). */
  async open(
    tenant: string,
    filterText: string | undefined,
    lastEventId: string | undefined,
  ): Promise<{ body: Readable; close: () => void }> {
    const filter = compileAuditFilter(filterText);
    const resume = lastEventId
      ? await this.search.run(() => this.stream.keyOf(tenant, lastEventId))
      : undefined;
    if (lastEventId && !resume) {
      throw scimError(
        400,
        'invalidValue',
        `Last-Event-ID: no AuditRecord ${lastEventId.slice(0, 64)}`,
      );
    }
    await this.audit.record('tailAuditRecords', {
      parameters: { filter: filter.text, after: lastEventId },
    });
    const group = await this.group(tenant, filter);
    const body = new Readable({ read: () => undefined });
    const sent = new Set<string>();
    let buffered: StreamedRecordRow[] | undefined = resume ? [] : undefined;
    let open = true;
    const write = (rows: StreamedRecordRow[]) => {
      if (!open) return;
      let text = '';
      for (const row of rows) {
        if (sent.has(row.id)) continue;
        if (row.created >= group.floor) sent.add(row.id);
        text += `id: ${row.id}\nevent: auditRecord\ndata: ${row.resource}\n\n`;
      }
      if (text) body.push(text);
      if (body.readableLength > MAX_BUFFERED_BYTES) close();
    };
    const subscriber: Subscriber = {
      deliver: (rows) => (buffered ? buffered.push(...rows) : write(rows)),
      end: () => close(),
    };
    const heartbeat = setInterval(() => open && body.push(': keep-alive\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    const close = () => {
      if (!open) return;
      open = false;
      clearInterval(heartbeat);
      group.subscribers.delete(subscriber);
      body.push(null);
    };
    group.subscribers.add(subscriber);
    body.push(`retry: 1000\n: tailing ${filter.text ?? 'all records'}\n\n`);
    if (resume) {
      void this.catchUp(tenant, filter, resume, write, () => open).then(
        () => {
          const pending = buffered ?? [];
          buffered = undefined;
          write(pending);
        },
        (error: unknown) => {
          this.logger.warn(`tail catch-up failed: ${String(error)}`);
          close();
        },
      );
    }
    this.startTimer();
    return { body, close };
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    for (const group of this.groups.values()) {
      // Ends every tail, so the HTTP server's close does not wait for them.
      for (const s of [...group.subscribers]) s.end();
    }
    this.groups.clear();
  }

  private async catchUp(
    tenant: string,
    filter: AuditFilterSql,
    from: AuditKey,
    write: (rows: StreamedRecordRow[]) => void,
    isOpen: () => boolean,
  ): Promise<void> {
    let key = from;
    while (isOpen()) {
      const rows = await this.stream.batch(tenant, filter, { after: key, limit: POLL_LIMIT });
      write(rows);
      if (rows.length < POLL_LIMIT) return;
      const last = rows[rows.length - 1];
      key = { created: last.created, id: last.id };
    }
  }

  private async group(tenant: string, filter: AuditFilterSql): Promise<TailGroup> {
    const name = `${tenant}\u0000${filter.text ?? ''}`;
    let group = this.groups.get(name);
    if (!group) {
      const floor = await this.search.run(() => this.stream.now());
      group = this.groups.get(name) ?? {
        tenant,
        filter,
        floor,
        seen: new Map(),
        catchingUp: false,
        subscribers: new Set(),
      };
      this.groups.set(name, group);
    }
    return group;
  }

  private startTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.pollAll(), this.config.tailPollIntervalMs);
    this.timer.unref();
  }

  private async pollAll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const [name, group] of this.groups) {
        if (group.subscribers.size === 0) {
          this.groups.delete(name);
          continue;
        }
        try {
          await this.poll(group);
        } catch (error) {
          this.logger.warn(`tail poll failed: ${String(error)}`);
        }
      }
      if (this.groups.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    } finally {
      this.polling = false;
    }
  }

  private async poll(group: TailGroup): Promise<void> {
    const since = group.key
      ? new Date(
          Math.max(group.floor.getTime(), group.key.created.getTime() - LATE_COMMIT_WINDOW_MS),
        )
      : group.floor;
    const rows = await this.stream.batch(group.tenant, group.filter, {
      ...(group.catchingUp && group.key ? { after: group.key } : { from: since }),
      limit: POLL_LIMIT,
    });
    const fresh = rows.filter((row) => !group.seen.has(row.id));
    for (const row of fresh) group.seen.set(row.id, row.created.getTime());
    if (rows.length > 0) {
      const last = rows[rows.length - 1];
      if (!group.key || last.created >= group.key.created) {
        group.key = { created: last.created, id: last.id };
      }
    }
    group.catchingUp = rows.length === POLL_LIMIT;
    const horizon = (group.key?.created.getTime() ?? 0) - LATE_COMMIT_WINDOW_MS;
    for (const [id, created] of group.seen) if (created < horizon) group.seen.delete(id);
    if (fresh.length > 0) for (const s of group.subscribers) s.deliver(fresh);
  }
}

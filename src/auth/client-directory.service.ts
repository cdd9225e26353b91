import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { runSql } from '../database/run-sql';

interface ClientFacts {
  serviceUserId: string | null;
  scopes: string[];
}

const TTL_MS = 2000;

/**
 * What the bearer guard needs to know of a token's client, cached for two seconds: a
 * deleted client's tokens stop working within that time on every instance, without a query
 * per request.
 */
@Injectable()
export class ClientDirectoryService {
  private readonly cache = new Map<string, { at: number; facts: ClientFacts | null }>();

  constructor(private readonly dataSource: DataSource) {}

  async lookup(tenant: string, clientId: string): Promise<ClientFacts | null> {
    const key = `${tenant}\u0000${clientId}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.facts;
    const rows: { service_user_id: string | null; scopes: string[] }[] = await runSql(
      this.dataSource.manager,
      'SELECT service_user_id, scopes FROM clients WHERE tenant_id = $1 AND client_id = $2',
      [tenant, clientId],
    );
    const facts = rows[0]
      ? { serviceUserId: rows[0].service_user_id, scopes: rows[0].scopes }
      : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { at: Date.now(), facts });
    return facts;
  }

  forget(tenant: string, clientId: string): void {
    this.cache.delete(`${tenant}\u0000${clientId}`);
  }
}

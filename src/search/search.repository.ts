import { Injectable } from '@nestjs/common';
import { SearchDatabase } from '../database/search-database';
import {
  CURSOR_KEY_SQL,
  SearchQuery,
  searchResult,
  searchStatement,
  SearchTable,
} from './search.queries';

/** Where searches run: the search connections, where a statement stops at its timeout. */
@Injectable()
export class SearchRepository {
  constructor(private readonly db: SearchDatabase) {}

  /** A page and the total (unless `q.count` is false), in one prepared statement. */
  async page<Row extends { id: string | null }>(
    table: SearchTable,
    tenant: string,
    q: SearchQuery,
  ): Promise<{ rows: Row[]; total: number | undefined }> {
    const { sql, params } = searchStatement(table, tenant, q);
    return searchResult(
      await this.db.query<Row & { search_total: number | null }>(sql, params, { prepare: true }),
      q.count !== false,
    );
  }

  async cursorSecret(): Promise<Buffer> {
    const rows = await this.db.query<{ secret: Buffer }>(CURSOR_KEY_SQL);
    if (!rows[0]) throw new Error('search_cursor_keys has no key');
    return rows[0].secret;
  }
}

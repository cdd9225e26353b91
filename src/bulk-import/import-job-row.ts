import { ImportOptions } from './import-envelope';
import { ImportKind } from './import-kinds';

export type ImportStatus = 'pending' | 'running' | 'completed' | 'failed';

/** A row of `import_jobs` as pg returns it; `id` is the import's COI. */
export interface ImportJobRow {
  id: string;
  tenant_id: string;
  kind: ImportKind;
  status: ImportStatus;
  import_size: number;
  chunk_size: number;
  next_index: number;
  nb_imported: number;
  nb_failed: number;
  options: ImportOptions;
  /** Why the whole job could not run; set only when status is `failed`. */
  failure_reason: string | null;
  created: Date;
  last_modified: Date;
}

/** A row of `import_errors`: why one item failed. */
export interface ImportErrorRow {
  item_index: number;
  key_name: string | null;
  key_value: string | null;
  status: number;
  scim_type: string | null;
  detail: string;
}

/** A row of `users` as pg returns it. */
export interface UserRow {
  id: string;
  tenant_id: string;
  user_name: string;
  external_id: string | null;
  /** NULL when unassigned (a PATCH removed it): not active. */
  active: boolean | null;
  service_account: boolean;
  password_hash: string | null;
  resource: Record<string, unknown>;
  version: number;
  created: Date;
  last_modified: Date;
}

export interface NewUser {
  id: string;
  userName: string;
  externalId?: string | null;
  active: boolean | null;
  serviceAccount?: boolean;
  passwordHash?: string | null;
  resource: Record<string, unknown>;
}

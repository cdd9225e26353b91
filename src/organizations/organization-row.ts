/** A row of `organizations` as pg returns it, with its parent's externalId joined in. */
export interface OrganizationRow {
  id: string;
  tenant_id: string;
  name: string;
  external_id: string | null;
  parent_id: string | null;
  parent_external_id: string | null;
  version: number;
  created: Date;
  last_modified: Date;
}

export interface NewOrganization {
  id: string;
  name: string;
  externalId: string | null;
  parentId: string | null;
}

/** An organization as a parent reference resolves it. */
export interface OrganizationRef {
  id: string;
  external_id: string | null;
}

import { Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { AppClsStore } from '../context/request-context';

/**
 * The settings the row-level security policies read (applyRowSecurity): the tenant whose rows
 * a statement may see and write, or, for the few named cross-tenant paths, why it may see all.
 */
export const TENANT_SETTING = 'app.tenant_id';
export const ACROSS_TENANTS_SETTING = 'app.across_tenants';

/** Sets both for the transaction (`$3` true) or the session (`$3` false), in one statement. */
export const SET_TENANT_SCOPE = `SELECT set_config('${TENANT_SETTING}', $1, $3), set_config('${ACROSS_TENANTS_SETTING}', $2, $3)`;

/** What a statement runs as: one tenant's rows, every tenant's (with the reason), or none. */
export interface TenantScope {
  tenant: string;
  across: string;
  /** Equal keys mean equal settings: a connection already set need not be set again. */
  key: string;
}

const NO_TENANT: TenantScope = { tenant: '', across: '', key: '' };

/**
 * Reads the scope of the current work from the request context (the tenant its path named,
 * or the tenant a job carried over), so the data-access layer can hand it to PostgreSQL;
 * without a context or a tenant, statements see no tenant's rows.
 */
@Injectable()
export class TenantScopes {
  constructor(private readonly cls: ClsService<AppClsStore>) {}

  current(): TenantScope {
    if (!this.cls.isActive()) return NO_TENANT;
    const across = this.cls.get('acrossTenants');
    if (across) return { tenant: '', across, key: `*${across}` };
    const tenant = this.cls.get('ctx')?.tenant;
    return tenant ? { tenant, across: '', key: tenant } : NO_TENANT;
  }

  /**
   * Runs `fn` over every tenant's rows: the one door past row-level security, for work that
   * is not one tenant's (a batch of read records of several tenants). `reason` names it,
   * and is what the session's setting holds while it runs.
   */
  acrossTenants<T>(reason: string, fn: () => Promise<T>): Promise<T> {
    return this.cls.run({ ifNested: 'inherit' }, () => {
      this.cls.set('acrossTenants', reason);
      return fn();
    });
  }
}

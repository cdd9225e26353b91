import { Inject, Injectable } from '@nestjs/common';
import { AuditSearchService } from '../audit/audit-search.service';
import { scimError } from '../common/api-error';
import { ManagementScope } from '../common/scopes';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RequestContextService } from '../context/request-context.service';
import { toDeviceResource } from '../devices/device.mapper';
import { DevicesService } from '../devices/devices.service';
import { toOrganizationResource } from '../organizations/organization.mapper';
import { OrganizationsService } from '../organizations/organizations.service';
import { ScimFilterError } from '../scim/filter';
import { projectAttributes } from '../scim/scim-attributes';
import { SearchRequest } from '../scim/scim-search-request';
import { toUserResource } from '../users/user.mapper';
import { UsersService } from '../users/users.service';

type Json = Record<string, unknown>;

interface Found {
  total: number;
  resources: Json[];
}

/** One resource type the root search covers: the scope that reads it, and its search. */
interface Searchable {
  scope: ManagementScope;
  search(tenant: string, request: SearchRequest): Promise<Found>;
}

export interface RootSearchResult {
  total: number;
  startIndex: number;
  resources: Json[];
}

/**
 * The root-level search (RFC 7644 §3.4.3): one filter over every resource type the caller's
 * scopes may read, in /ResourceTypes order, then each type's default order. A type on which
 * the filter names an unknown attribute has no matches; a filter no type understands is 400.
 */
@Injectable()
export class RootSearchService {
  private readonly types: Searchable[];

  constructor(
    users: UsersService,
    devices: DevicesService,
    organizations: OrganizationsService,
    audit: AuditSearchService,
    private readonly context: RequestContextService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const base = config.publicBaseUrl;
    this.types = [
      {
        scope: 'users:read',
        search: async (t, r) => {
          const page = await users.list(t, r);
          return {
            total: page.total ?? 0,
            resources: page.rows.map((u) => toUserResource(u, base)),
          };
        },
      },
      {
        scope: 'audit:read',
        search: async (t, r) => {
          const page = await audit.searchRecords(t, r);
          return {
            total: page.total ?? 0,
            resources: page.rows.map((row) => JSON.parse(row.resource) as Json),
          };
        },
      },
      {
        scope: 'devices:read',
        search: async (t, r) => {
          const page = await devices.list(t, r);
          return {
            total: page.total ?? 0,
            resources: page.rows.map((d) => toDeviceResource(d, base)),
          };
        },
      },
      {
        scope: 'users:read',
        search: async (t, r) => {
          const page = await organizations.list(t, r);
          const resources = page.rows.map((g) => toOrganizationResource(g, base));
          return { total: page.total ?? 0, resources };
        },
      },
    ];
  }

  async search(tenant: string, request: SearchRequest): Promise<RootSearchResult> {
    if (request.sortBy !== undefined) {
      // Each type sorts on its own attributes; one order across them would be a fiction.
      throw scimError(400, 'invalidValue', 'sortBy is not supported on the root search');
    }
    const scopes = this.context.require().actor?.scopes ?? [];
    // A token that may read no type finds nothing, like a search that matches nothing.
    const allowed = this.types.filter((type) => scopes.includes(type.scope));
    // Walk the types in order, each asked for the part of the page that can fall in it.
    let skip = request.startIndex - 1;
    let remaining = request.count;
    let total = 0;
    let refused: ScimFilterError | undefined;
    let understood = 0;
    const resources: Json[] = [];
    for (const type of allowed) {
      let found: Found;
      try {
        found = await type.search(tenant, {
          ...request,
          startIndex: skip + 1,
          count: remaining,
          attributes: undefined,
          excludedAttributes: undefined,
        });
      } catch (error) {
        if (!(error instanceof ScimFilterError)) throw error;
        refused ??= error;
        continue;
      }
      understood++;
      total += found.total;
      skip = Math.max(0, skip - found.total);
      remaining -= found.resources.length;
      for (const r of found.resources) {
        resources.push(projectAttributes(r, request.attributes, request.excludedAttributes));
      }
    }
    if (understood === 0 && refused) throw refused;
    return { total, startIndex: request.startIndex, resources };
  }
}

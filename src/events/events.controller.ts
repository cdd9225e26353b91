import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '../common/access.decorators';
import { AuditedAs } from '../audit/audit-action.decorator';
import { readSearchBody, readSearchRequest } from '../scim/scim-search-request';
import { SearchRequestDto } from '../search/search-request.dto';
import { AuditEventTokensService } from './audit-event-tokens.service';
import { AuditSearchService } from '../audit/audit-search.service';

export const EVENT_LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:EventList';

/**
 * HID's backward-compatible event search: audit records as signed SETs, where the filter's
 * `correlationId` names the operation (the COI). Pages by startIndex only.
 */
@ApiTags('Audit')
@Controller(':tenant/v2/Events')
export class EventsController {
  constructor(
    private readonly audit: AuditSearchService,
    private readonly eventTokens: AuditEventTokensService,
  ) {}

  @Post('.search')
  @HttpCode(200)
  @RequireScopes('audit:read')
  @AuditedAs('searchAuditRecords')
  @ApiOperation({
    summary:
      'Search audit records as signed Security Event Tokens (RFC 8417); correlationId matches the COI',
    operationId: 'searchEvents',
  })
  @ApiBody({ type: SearchRequestDto })
  async searchEvents(
    @Param('tenant') tenant: string,
    @Body() body: unknown,
  ): Promise<Record<string, unknown>> {
    const request = readSearchRequest(readSearchBody(body), { cursor: false });
    const page = await this.audit.searchEvents(tenant, request);
    return {
      schemas: [EVENT_LIST_SCHEMA],
      eventTokens: await this.eventTokens.sign(tenant, page.rows),
      tainted: page.tainted,
      matchedCriteria: page.total,
    };
  }
}

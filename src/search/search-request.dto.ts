import { ApiProperty, ApiPropertyOptional, ApiQuery } from '@nestjs/swagger';
import { SEARCH_REQUEST_SCHEMA } from '../scim/scim-constants';

/** RFC 7644 §3.4.3 SearchRequest with RFC 9865 `cursor`; for the OpenAPI document only. */
export class SearchRequestDto {
  @ApiProperty({ example: [SEARCH_REQUEST_SCHEMA] })
  schemas!: string[];

  @ApiPropertyOptional({
    example: 'correlationId eq "f058ebd6-02f7-4d3f-942e-904344e8cde5"',
    description:
      'RFC 7644 §3.4.2.2 filter; also bare values (correlationId eq f058ebd6-...) and deep paths (action.actionParameters.COI). At most 4096 characters, 20 levels of nesting, 100 comparisons.',
  })
  filter?: string;

  @ApiPropertyOptional({ example: 'created' })
  sortBy?: string;

  @ApiPropertyOptional({ enum: ['ascending', 'descending'] })
  sortOrder?: string;

  @ApiPropertyOptional({ description: '1-based; values below 1 are read as 1', example: 1 })
  startIndex?: number;

  @ApiPropertyOptional({ description: 'Default 100, at most 1000; 0 returns only totalResults' })
  count?: number;

  @ApiPropertyOptional({
    description: 'RFC 9865: empty for the first page, then the nextCursor of the previous page',
  })
  cursor?: string;

  @ApiPropertyOptional({ type: [String] })
  attributes?: string[];

  @ApiPropertyOptional({ type: [String] })
  excludedAttributes?: string[];
}

const SEARCH_QUERY = [
  'filter',
  'sortBy',
  'sortOrder',
  'startIndex',
  'count',
  'cursor',
  'attributes',
  'excludedAttributes',
];

/** The query parameters of a SCIM list (RFC 7644 §3.4.2, RFC 9865), for the OpenAPI document. */
export function SearchQueryParameters(): MethodDecorator {
  return (target, key, descriptor) => {
    for (const name of SEARCH_QUERY) {
      ApiQuery({ name, required: false, type: String })(target, key, descriptor);
    }
  };
}

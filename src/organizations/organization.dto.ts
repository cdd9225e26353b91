import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ORGANIZATION_SCHEMA } from './organization.mapper';

/** The parent of an organization: its id, or its externalId. */
export class OrganizationParentDto {
  @ApiPropertyOptional({ description: 'The parent organization id' }) value?: string;
  @ApiPropertyOptional({ description: 'The parent externalId (instead of value)' })
  externalId?: string;
}

/** An Organization as POST and PUT take it (the body is read by `readOrganizationInput`). */
export class OrganizationDto {
  @ApiPropertyOptional({ example: [ORGANIZATION_SCHEMA] }) schemas?: string[];
  @ApiProperty({ example: 'Sales EMEA' }) name!: string;
  @ApiPropertyOptional({ description: 'Unique in the tenant' }) externalId?: string;
  @ApiPropertyOptional({ type: OrganizationParentDto }) parent?: OrganizationParentDto;
}

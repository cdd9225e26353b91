import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DEVICE_STATUSES } from './device-row';
import { DEVICE_SCHEMA } from './device.mapper';

/** The owner of a device: a user id, or a userName (resolved when written). */
export class DeviceOwnerDto {
  @ApiPropertyOptional({ description: 'The owning user id' }) value?: string;
  @ApiPropertyOptional({ description: 'The owning userName (instead of value)' })
  userName?: string;
}

/** A Device as POST and PUT take it (the body is read by `readDeviceInput`). */
export class DeviceDto {
  @ApiPropertyOptional({ example: [DEVICE_SCHEMA] }) schemas?: string[];
  @ApiProperty({ description: 'The DSN, unique in the tenant', example: 'DSN-0001' })
  serialNumber!: string;
  @ApiProperty({ example: 'DT_TDSV4' }) type!: string;
  @ApiPropertyOptional({ enum: DEVICE_STATUSES, default: 'ACTIVE' }) status?: string;
  @ApiPropertyOptional() externalId?: string;
  @ApiPropertyOptional({ type: DeviceOwnerDto }) owner?: DeviceOwnerDto;
}

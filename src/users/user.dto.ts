import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsObject,
  IsOptional,
  IsString,
  MinLength,
  ValidateNested,
} from 'class-validator';

export class NameDto {
  @IsOptional() @IsString() formatted?: string;
  @IsOptional() @IsString() familyName?: string;
  @IsOptional() @IsString() givenName?: string;
  @IsOptional() @IsString() middleName?: string;
  @IsOptional() @IsString() honorificPrefix?: string;
  @IsOptional() @IsString() honorificSuffix?: string;
}

export class MultiValuedAttributeDto {
  @IsOptional() @IsString() value?: string;
  @IsOptional() @IsString() display?: string;
  @IsOptional() @IsString() type?: string;
  @IsOptional() @IsBoolean() primary?: boolean;
}

export class AddressDto {
  @IsOptional() @IsString() formatted?: string;
  @IsOptional() @IsString() streetAddress?: string;
  @IsOptional() @IsString() locality?: string;
  @IsOptional() @IsString() region?: string;
  @IsOptional() @IsString() postalCode?: string;
  @IsOptional() @IsString() country?: string;
  @IsOptional() @IsString() type?: string;
  @IsOptional() @IsBoolean() primary?: boolean;
}

/** RFC 7643 §4.1 core User, as written by clients (POST and PUT). */
export class UserDto {
  @ApiProperty({ example: ['urn:ietf:params:scim:schemas:core:2.0:User'] })
  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  schemas!: string[];

  @ApiProperty({ example: 'bjensen' })
  @IsString()
  @MinLength(1)
  userName!: string;

  @ApiPropertyOptional() @IsOptional() @IsString() externalId?: string;
  @ApiPropertyOptional({ type: NameDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => NameDto)
  name?: NameDto;
  @ApiPropertyOptional() @IsOptional() @IsString() displayName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() nickName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() profileUrl?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() title?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() userType?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() preferredLanguage?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() locale?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() timezone?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() active?: boolean;
  @ApiPropertyOptional({ writeOnly: true }) @IsOptional() @IsString() password?: string;

  @ApiPropertyOptional({ type: [MultiValuedAttributeDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => MultiValuedAttributeDto)
  emails?: MultiValuedAttributeDto[];

  @ApiPropertyOptional({ type: [MultiValuedAttributeDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => MultiValuedAttributeDto)
  phoneNumbers?: MultiValuedAttributeDto[];

  @ApiPropertyOptional({ type: [MultiValuedAttributeDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => MultiValuedAttributeDto)
  ims?: MultiValuedAttributeDto[];

  @ApiPropertyOptional({ type: [MultiValuedAttributeDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => MultiValuedAttributeDto)
  photos?: MultiValuedAttributeDto[];

  @ApiPropertyOptional({ type: [AddressDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => AddressDto)
  addresses?: AddressDto[];

  @ApiPropertyOptional({ type: [MultiValuedAttributeDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => MultiValuedAttributeDto)
  entitlements?: MultiValuedAttributeDto[];

  @ApiPropertyOptional({ type: [MultiValuedAttributeDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => MultiValuedAttributeDto)
  roles?: MultiValuedAttributeDto[];

  @ApiPropertyOptional({ type: [MultiValuedAttributeDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => MultiValuedAttributeDto)
  x509Certificates?: MultiValuedAttributeDto[];
}

export class PatchOperationDto {
  @ApiProperty({ enum: ['add', 'replace', 'remove'] }) @IsString() op!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() path?: string;
  @ApiPropertyOptional() @IsOptional() value?: unknown;
}

export class PatchOpDto {
  @ApiProperty({ example: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'] })
  @IsArray()
  @IsString({ each: true })
  schemas!: string[];

  @ApiProperty({ type: [PatchOperationDto] })
  @IsArray()
  @ArrayNotEmpty()
  @ValidateNested({ each: true })
  @Type(() => PatchOperationDto)
  Operations!: PatchOperationDto[];
}

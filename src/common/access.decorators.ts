import { SetMetadata } from '@nestjs/common';
import { ManagementScope } from './scopes';

export const IS_PUBLIC = 'isPublic';
export const REQUIRED_SCOPES = 'requiredScopes';

/** The route authenticates its caller itself (token endpoint) or needs none (discovery). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The bearer token must carry every one of these scopes. */
export const RequireScopes = (...scopes: ManagementScope[]) => SetMetadata(REQUIRED_SCOPES, scopes);

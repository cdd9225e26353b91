import { applyDecorators, SetMetadata } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { AuditAction } from './audit-actions';

export const AUDIT_ROUTE_CONFIG_KEY = 'auditAction';

/**
 * Names the action a route's failures are recorded under. It travels in Fastify's route
 * config, so even errors raised before Nest's pipeline (malformed JSON, 413) find it.
 */
export const AuditedAs = (action: AuditAction) =>
  applyDecorators(
    RouteConfig({ [AUDIT_ROUTE_CONFIG_KEY]: action }),
    SetMetadata(AUDIT_ROUTE_CONFIG_KEY, action),
  );

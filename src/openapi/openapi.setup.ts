import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { AppConfig } from '../config/app-config';
import { AUDIT_RECORD_COMPONENT } from './audit-record.schema';
import { addConformance, BEARER_SCHEME, readAccess } from './openapi-conformance';

const DESCRIPTION = `Management API of an identity platform. Every change is recorded in an append-only,
hash-stamped audit trail together with the caller's \`X-Correlation-ID\` and a server-made
\`X-Request-ID\`; long-running flows add a COI.

**Audit search filter extensions** (beyond RFC 7644 §3.4.2.2): deeper attribute paths where
the AuditRecord schema defines them (\`action.actionParameters.COI\`, \`actingUserId.session.id\`),
and bare unquoted values as in HID's documentation (\`correlationId eq f058ebd6-...\`): a bare
value runs to the next whitespace, \`)\` or \`]\`; \`true\`, \`false\`, \`null\` and JSON numbers keep
their RFC meaning, anything else is a string.

**What changed, from where, which trace**: records of changes carry \`changes\` (searchable as
\`changes.attribute eq "active"\` or \`changes[attribute eq "active" and after eq "false"]\`),
\`client\` (\`client.ipAddress eq "203.0.113.7"\`) and, when the call sent a valid W3C
\`traceparent\`, \`traceId\` (\`traceId eq "4bf9..."\`); such calls are answered with a
\`traceresponse\` header. An invalid \`traceparent\` is ignored.

**Rate limiting** (when the operator sets \`RATE_LIMIT_MAX\`; off by default): every response
carries \`X-RateLimit-Limit\`, \`X-RateLimit-Remaining\` and \`X-RateLimit-Reset\`; past the
limit any operation answers \`429\` with \`Retry-After\`, the correlation headers and a body in
the route's error format (SCIM or OAuth \`too_many_requests\`).

**Search limits**: a search that runs longer than \`SEARCH_STATEMENT_TIMEOUT_MS\` is answered
\`400\` \`tooMany\` (narrow the filter); one that waits longer than \`SEARCH_QUEUE_TIMEOUT_MS\`
for a search connection, because other searches hold them all, is answered \`503\` with
\`Retry-After\`. Both in SCIM error form.`;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** OpenAPI at /docs and /docs-json. */
export function setupOpenApi(app: INestApplication, config: AppConfig): OpenAPIObject {
  const document = buildOpenApiDocument(app, config);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    // Keeps the token entered under Authorize across reloads of the page.
    swaggerOptions: { persistAuthorization: true },
  });
  return document;
}

/**
 * The document: routes as their decorators declare them, then, for every operation, its
 * security, the error answers the pipeline gives (openapi-conformance.ts) and the
 * correlation headers, so a new route gets all of them without declaring them.
 */
export function buildOpenApiDocument(app: INestApplication, config: AppConfig): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Correlated Management API')
    .setDescription(DESCRIPTION)
    .setVersion('0.1.0')
    // Relative: Swagger UI then calls the host that served it, whatever the deployment.
    .addServer('/')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'RFC 9068 access token from POST /{tenant}/authn/token',
      },
      BEARER_SCHEME,
    )
    .build();
  const document = SwaggerModule.createDocument(app, builder, {
    operationIdFactory: (_controller, method) => method,
  });
  addConformance(document, readAccess(app));
  addCorrelationHeaders(document, config.correlationIdMaxLength);
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, AuditRecord: AUDIT_RECORD_COMPONENT },
  };
  return document;
}

function addCorrelationHeaders(document: OpenAPIObject, maxLength: number): void {
  const correlation = {
    description:
      'Caller-chosen id echoed on the response and stored on every audit record of the call',
    schema: { type: 'string', minLength: 1, maxLength, pattern: '^[A-Za-z0-9_\\-.*~@+/:]+$' },
  };
  const responseHeaders = {
    'X-Correlation-ID': {
      description: "The request's valid X-Correlation-ID, unchanged",
      schema: { type: 'string' },
    },
    'X-Request-ID': {
      description: 'Server-made request id (UUIDv7), stored on every audit record',
      schema: { type: 'string', format: 'uuid' },
    },
    traceresponse: {
      description:
        'W3C Trace Context Level 2, when a valid traceparent was sent: 00-<trace-id>-<span-id>-<flags>',
      schema: { type: 'string', pattern: '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$' },
    },
  };
  const trace = [
    {
      name: 'traceparent',
      in: 'header' as const,
      required: false,
      description:
        'W3C Trace Context: its trace id goes on every log line and audit record of the call (`traceId`); an invalid value is ignored',
      schema: { type: 'string' },
    },
    {
      name: 'tracestate',
      in: 'header' as const,
      required: false,
      description: 'W3C Trace Context vendor state, kept with a valid traceparent',
      schema: { type: 'string' },
    },
  ];
  for (const item of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      operation.parameters = [
        ...(operation.parameters ?? []),
        { name: 'X-Correlation-ID', in: 'header', required: false, ...correlation },
        ...trace,
      ];
      for (const response of Object.values(operation.responses ?? {})) {
        const r = response as { headers?: Record<string, unknown> };
        r.headers = { ...r.headers, ...responseHeaders };
      }
    }
  }
}

import { SchemaObject } from '@nestjs/swagger';
import { GRANT_CLIENT_CREDENTIALS, MANAGEMENT_SCOPES, OIDC_SCOPES } from '../common/scopes';
import { DELIVERY_MODES, SUPPORTED_AUTH_METHODS, SUPPORTED_GRANT_TYPES } from './client-metadata';

/** OpenAPI description of the RFC 7591 client metadata this server accepts. */
export const CLIENT_METADATA_SCHEMA: SchemaObject = {
  type: 'object',
  description:
    'RFC 7591 client metadata. Unknown members are ignored; hid_client_* members are stored and returned as given. ' +
    'On update (RFC 7592) client_id is required, client_secret (if sent) must be the current one, and omitted members are reset.',
  properties: {
    client_name: { type: 'string' },
    grant_types: {
      type: 'array',
      items: { type: 'string', enum: [...SUPPORTED_GRANT_TYPES] },
      default: [GRANT_CLIENT_CREDENTIALS],
    },
    token_endpoint_auth_method: {
      type: 'string',
      enum: [...SUPPORTED_AUTH_METHODS],
      default: 'client_secret_basic',
    },
    scope: {
      type: 'string',
      description: `Space-separated, from: ${[...MANAGEMENT_SCOPES, ...OIDC_SCOPES].join(' ')}. Default none.`,
    },
    hid_client_scopes: {
      description:
        "HID's form of scope: a JSON array of scope names or an object {\"scopes\":[...]}, or a string holding either " +
        '(HID\'s sample: "{\\"scopes\\":[\\"openid\\",\\"profile\\"]}"). Stored and returned as given.',
      oneOf: [
        { type: 'string' },
        { type: 'array', items: { type: 'string' } },
        {
          type: 'object',
          properties: { scopes: { type: 'array', items: { type: 'string' } } },
          required: ['scopes'],
        },
      ],
    },
    contacts: { type: 'array', items: { type: 'string' } },
    redirect_uris: {
      type: 'array',
      items: { type: 'string', format: 'uri' },
      description:
        'Stored, not used: this server has no authorization endpoint. Each must be https, http to a loopback host, ' +
        'or a reverse-domain private-use scheme (RFC 8252); no fragment; otherwise 400 invalid_redirect_uri',
    },
    backchannel_token_delivery_mode: {
      type: 'string',
      enum: [...DELIVERY_MODES],
      default: 'poll',
      description: 'CIBA clients only',
    },
    backchannel_client_notification_endpoint: {
      type: 'string',
      format: 'uri',
      description: 'Required in ping and push modes; https (http only for localhost)',
    },
    client_id: { type: 'string', description: 'Update only: the client being updated' },
  },
  additionalProperties: true,
};

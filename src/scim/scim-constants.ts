export const SCIM_MEDIA_TYPE = 'application/scim+json';
/** The Content-Type of every SCIM response (RFC 7644 §3.1). */
export const SCIM_JSON_CONTENT_TYPE = `${SCIM_MEDIA_TYPE}; charset=utf-8`;
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

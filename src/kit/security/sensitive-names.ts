/**
 * The one list of names that carry credentials. The request context registers their values for
 * redaction, the redaction core masks credential query values by these names, the
 * authentication guard counts them and deletes the headers once consumed, and the API-key route
 * refuses them in the query or body; nothing keeps a second list.
 */
export const CREDENTIAL_HEADERS = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-auth-token',
  'x-access-token',
  'cookie',
  'set-cookie',
] as const;

/** Query parameters that clients misuse for credentials (RFC 6750 §2.3, ASVS 14.2.1). */
export const CREDENTIAL_QUERY_PARAMS = [
  'access_token',
  'token',
  'api_key',
  'apikey',
  'api-key',
  'key',
  'secret',
  'password',
  'client_secret',
  'refresh_token',
  'id_token',
] as const;

// The `oauth2` block of a scrape config (prometheus/common's OAuth2): its fields and the checks Prometheus applies.
import { z } from 'zod';
import type { Secret } from './secret.js';

/** prometheus/common's grant types: client credentials (the default) and RFC 7523's JWT bearer. */
export const GRANT_TYPE_CLIENT_CREDENTIALS = 'client_credentials';
export const GRANT_TYPE_JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * The oauth2 block's fields. The secret, path, TLS and proxy schemas are the job's own (passed in by schema.ts,
 * which imports this module), so the block reads and validates its `tls_config` and proxy settings exactly as the
 * job's.
 */
export function oauth2Shape<S extends z.ZodType, F extends z.ZodType, Own extends z.core.$ZodLooseShape>(parts: { secret: S; filePath: F; own: Own }) {
  return {
    client_id: z.string().optional(),
    client_secret: parts.secret.optional(),
    client_secret_file: parts.filePath.optional(),
    scopes: z.array(z.string()).optional(),
    token_url: z.string().optional(),
    endpoint_params: z.record(z.string(), z.string()).optional(),
    // Accepted as Prometheus accepts them; a job with the JWT bearer grant is not probed (see docs/probes.md).
    grant_type: z.string().optional(),
    client_certificate_key_id: z.string().optional(),
    client_certificate_key: parts.secret.optional(),
    client_certificate_key_file: parts.filePath.optional(),
    signature_algorithm: z.string().optional(),
    iss: z.string().optional(),
    audience: z.string().optional(),
    claims: z.record(z.string(), z.unknown()).optional(),
    ...parts.own,
  };
}

/** The oauth2 fields the checks read; an empty string counts as unset, as Go's `len(x) == 0` does. */
export interface OAuth2Fields {
  client_id?: string | undefined;
  client_secret?: Secret | undefined;
  client_secret_file?: string | undefined;
  token_url?: string | undefined;
  grant_type?: string | undefined;
  client_certificate_key?: Secret | undefined;
  client_certificate_key_file?: string | undefined;
  signature_algorithm?: string | undefined;
}

const VALID_SIGNATURE_ALGORITHMS = ['RS256', 'RS384', 'RS512'];

/** A refused oauth2 block: the key path (inside the block) and prometheus/common's words. */
export interface OAuth2Problem {
  path: (string | number)[];
  message: string;
}

/**
 * The oauth2 part of prometheus/common's HTTPClientConfig.Validate(), in its order and words; the first problem,
 * as Go returns the first error. The block's own tls_config and proxy settings are checked by the caller with the
 * job's own rules (prometheus/common embeds the same types).
 */
export function oauth2Problem(o: OAuth2Fields): OAuth2Problem | undefined {
  const set = (v: string | Secret | undefined) => v !== undefined && (typeof v === 'string' ? v : v.reveal()) !== '';
  // A missing field is reported at the block, where it is to be added.
  if (!set(o.client_id)) return { path: [], message: 'oauth2 client_id must be configured' };
  if (!set(o.token_url)) return { path: [], message: 'oauth2 token_url must be configured' };
  if (o.grant_type === GRANT_TYPE_JWT_BEARER) {
    if (set(o.client_certificate_key) && set(o.client_certificate_key_file)) {
      return {
        path: ['client_certificate_key_file'],
        message:
          'at most one of oauth2 client_certificate_key, client_certificate_key_file & client_certificate_key_ref must be configured using grant-type=urn:ietf:params:oauth:grant-type:jwt-bearer',
      };
    }
    if (set(o.signature_algorithm) && !VALID_SIGNATURE_ALGORITHMS.includes(o.signature_algorithm!)) {
      return { path: ['signature_algorithm'], message: 'valid signature algorithms are RS256, RS384 and RS512' };
    }
    return undefined;
  }
  if (set(o.client_secret) && set(o.client_secret_file)) {
    return {
      path: ['client_secret_file'],
      message: 'at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be configured using grant-type=client_credentials',
    };
  }
  return undefined;
}

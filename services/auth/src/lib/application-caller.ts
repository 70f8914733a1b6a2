import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import type { ApplicationRow } from '../repositories/applications.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Tier "application": the application whose API key authenticated this request. */
    callerApplication: ApplicationRow | null;
  }
}

/** The scheme is case-insensitive (RFC 9110). */
const BEARER = /^Bearer +(\S+)$/i;

/** The key of `Authorization: Bearer <key>`, if the header is that. */
export const bearerKey = (header: string | undefined): string | undefined => BEARER.exec(header ?? '')?.[1];

/** One answer whatever was wrong (no key, a malformed, unknown, rotated or removed one). */
export const invalidApiKey = () =>
  new ApiError(401, 'invalid_api_key', 'The API key is missing or not valid.', {
    'www-authenticate': 'Bearer realm="twofold"',
  });

/** The calling application; only in the tier whose guard set it. */
export function callerApplication(request: FastifyRequest): ApplicationRow {
  if (!request.callerApplication) throw invalidApiKey();
  return request.callerApplication;
}

import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { isPgUnavailable } from '../../../../common/src/pg-pool.ts';
import { isRedisUnavailable } from '../../../../common/src/redis-client.ts';
import { DependencyTimeoutError } from '../../../../common/src/with-timeout.ts';
import { ApiError } from '../../errors.ts';
import { PasswordHasherBusyError } from '../../lib/passwords.ts';
import { ProviderUnavailable } from '../../oidc/unavailable.ts';

/** Fastify's own 4xx errors, mapped onto the contract's codes. */
const FRAMEWORK_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_request',
  FST_ERR_VALIDATION: 'invalid_request',
};

function send(
  reply: import('fastify').FastifyReply,
  status: number,
  code: string,
  message: string,
  details: Record<string, unknown> = {},
) {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send({ error: { code, message, ...details } });
}

export default fp(
  async function errors(app: FastifyInstance) {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof ApiError) {
        reply.headers(error.headers);
        return send(reply, error.statusCode, error.code, error.message, error.details);
      }
      if (error instanceof PasswordHasherBusyError) {
        request.log.warn({ pending: error.pending }, 'password hashing saturated: request shed');
        reply.header('retry-after', '1');
        return send(
          reply,
          503,
          'service_unavailable',
          'Too many sign-ins at once. Please retry in a moment.',
        );
      }
      if (error.validation) {
        return send(reply, 400, 'invalid_request', `Invalid request: ${error.message}.`);
      }
      // ProviderUnavailable: the OpenID provider's storage (Redis, PostgreSQL) failed under the
      // interaction routes, which call into the provider.
      const unavailable =
        error instanceof DependencyTimeoutError ||
        error instanceof ProviderUnavailable ||
        isPgUnavailable(error) ||
        isRedisUnavailable(error);
      if (unavailable) {
        request.log.warn({ err: error }, 'dependency unavailable');
        reply.header('retry-after', '1');
        return send(reply, 503, 'service_unavailable', 'The service is briefly unavailable. Please retry.');
      }
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        const code =
          FRAMEWORK_CODES[error.code] ?? (status === 413 ? 'payload_too_large' : 'invalid_request');
        const message =
          status === 413 ? 'The request body is too large.' : `Invalid request: ${error.message}`;
        return send(reply, status, code, message);
      }
      request.log.error({ err: error }, 'unhandled error');
      return send(reply, 500, 'internal_error', 'Something went wrong on our side.');
    });

    app.setNotFoundHandler((request, reply) =>
      send(
        reply,
        404,
        'not_found',
        `No route for ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}.`,
      ),
    );
  },
  { name: 'errors' },
);

import type { FastifyServerOptions } from 'fastify';

/** Paths that must never reach a log line: credentials, codes, cookies, secrets. */
const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  'password',
  'code',
  'secret',
  '*.password',
  '*.code',
  '*.secret',
];

export function loggerOptions(level: string, replica: string): FastifyServerOptions['logger'] {
  return {
    level,
    base: { replica },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}

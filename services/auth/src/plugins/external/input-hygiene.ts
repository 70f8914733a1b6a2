import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { invalidRequest } from '../../errors.ts';

// C0 controls and DEL: PostgreSQL refuses NUL in text (a 500 before this), and none of them
// belongs in a name, an address, a code or a password typed by a person.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const CONTROL = /[\u0000-\u001F\u007F]/;
// Half of a UTF-16 pair without its other half: no character at all (PostgreSQL stores U+FFFD).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first string in the value that holds a control character or a lone surrogate, if any. */
function findUnclean(value: unknown, depth = 0): string | undefined {
  if (typeof value === 'string') return CONTROL.test(value) || LONE_SURROGATE.test(value) ? value : undefined;
  // Bodies are at most 16 KiB; the depth bound only keeps a pathological one from recursing far.
  if (depth > 32 || typeof value !== 'object' || value === null) return undefined;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    const found = findUnclean(item, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Every string a client sends (body, path parameters, query) is refused with 400 when it holds a
 * control character or a lone surrogate, whatever the route's own schema says.
 */
export default fp(
  async function inputHygiene(app: FastifyInstance) {
    app.addHook('preValidation', async (request) => {
      for (const part of [request.body, request.params, request.query]) {
        if (findUnclean(part) !== undefined) {
          throw invalidRequest('Text may not contain control characters or unpaired surrogates.');
        }
      }
    });
  },
  { name: 'input-hygiene' },
);

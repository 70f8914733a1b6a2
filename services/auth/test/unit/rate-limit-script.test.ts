// Twofold's copy of @fastify/rate-limit's counting script (plugins/external/rate-limit.ts) must stay
// the library's own but for its one mend: a library upgrade that changes the script fails here,
// instead of leaving a stale copy answering in its place.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { RATE_LIMIT_SCRIPT } from '../../src/plugins/external/rate-limit.ts';

const MEND = `local ttl = redis.call('PTTL', key)
if ttl < 0 then
current = 1
redis.call('SET', key, current, 'PX', timeWindow)
else
timeWindow = ttl
end`;
const ORIGINAL = `timeWindow = redis.call('PTTL', key)`;

/** The script's statements, a line each: no comments, no indentation, no blank lines. */
const statements = (lua: string) =>
  lua
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('--'))
    .join('\n');

describe("the rate limiter's counting script", () => {
  it("is @fastify/rate-limit's, but for a counter without an expiry starting again", async () => {
    const require = createRequire(import.meta.url);
    const storeFile = require.resolve('@fastify/rate-limit/store/RedisStore.js');
    const source = await readFile(storeFile, 'utf8');
    const library = /const lua = `([\s\S]*?)`/.exec(source)?.[1];
    assert.ok(library, `the counting script is no longer at "const lua = \`" in ${storeFile}`);
    const ours = statements(RATE_LIMIT_SCRIPT);
    assert.ok(ours.includes(MEND), 'the mend is in our copy');
    assert.equal(
      ours.replace(MEND, ORIGINAL),
      statements(library),
      `${storeFile} changed its script: bring RATE_LIMIT_SCRIPT in plugins/external/rate-limit.ts up to it`,
    );
  });
});

import type { Redis } from 'ioredis';

type ScriptArgument = string | number;

/**
 * A Lua script called by its SHA-1 (EVALSHA) through ioredis's defineCommand, which sends the body
 * again (EVAL) only when Redis answers NOSCRIPT, as a master promoted by Sentinel does at first.
 * `redis.eval(body, …)` would send the body and make Redis hash it on every call, a hot-path cost
 * (the session check runs a script on every request).
 */
export function redisScript(name: string, lua: string, numberOfKeys: number) {
  const defined = new WeakSet<Redis>();
  return (redis: Redis, ...keysAndArgs: ScriptArgument[]): Promise<unknown> => {
    if (!defined.has(redis)) {
      redis.defineCommand(name, { lua, numberOfKeys });
      defined.add(redis);
    }
    const command = (redis as unknown as Record<string, (...args: ScriptArgument[]) => Promise<unknown>>)[
      name
    ];
    if (!command) throw new Error(`Redis script ${name} is not defined`);
    return command.call(redis, ...keysAndArgs);
  };
}

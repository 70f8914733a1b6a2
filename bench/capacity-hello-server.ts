// A bare Fastify "hello" (no plugins, no logging): the bound for a session check, run behind the same
// nginx configuration as the auth replicas by bench/capacity-hello.ts. Usage: PORT=<port> node --import tsx <this file>
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/auth/verify', async (_request, reply) => {
  reply.header('cache-control', 'no-store');
  return 'hello';
});
app.get('/readyz', async () => 'ready');
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void app.close());

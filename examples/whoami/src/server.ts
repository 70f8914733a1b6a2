// Runs the whoami demo on 127.0.0.1:WHOAMI_PORT until SIGTERM or SIGINT (exit 2 on a bad setting).
import closeWithGrace from 'close-with-grace';
import { buildWhoami } from './app.ts';
import { type WhoamiConfig, whoamiConfig } from './config.ts';

let config: WhoamiConfig;
try {
  config = whoamiConfig(process.env);
} catch (error) {
  console.error(`whoami: bad configuration: ${(error as Error).message}`);
  process.exit(2);
}

const app = buildWhoami({ ...config, logger: { level: process.env.WHOAMI_LOG_LEVEL || 'info' } });
await app.listen({ host: '127.0.0.1', port: config.port });

closeWithGrace({ delay: 5_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'stopping after an error');
  else app.log.info(`stopping (${signal})`);
  await app.close();
});

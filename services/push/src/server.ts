import closeWithGrace from 'close-with-grace';
import { ConfigError } from '../../common/src/env-loader.ts';
import { buildPushGateway } from './app.ts';
import { loadPushConfig, type PushConfig } from './config.ts';

let config: PushConfig;
try {
  config = loadPushConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`twofold push: bad configuration: ${error.message}`);
    process.exit(2);
  }
  throw error;
}

const gateway = await buildPushGateway(config);

closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
  if (err) gateway.app.log.error({ err }, 'closing after an error');
  gateway.app.log.info({ signal }, 'draining');
  gateway.drain();
  if (config.drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.drainDelayMs));
  // Phones reconnect at once, to the other replica; their messages wait for them in Redis.
  await gateway.close();
});

await gateway.app.listen({ host: config.host, port: config.port });

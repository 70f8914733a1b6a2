import closeWithGrace from 'close-with-grace';
import { ConfigError } from '../../common/src/env-loader.ts';
import { buildApp } from './app.ts';
import { type AuthConfig, loadConfig } from './config.ts';
import { ClockSkewError } from './lib/clock.ts';

let config: AuthConfig;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`twofold auth: bad configuration: ${error.message}`);
    process.exit(2);
  }
  throw error;
}

let app: Awaited<ReturnType<typeof buildApp>>;
try {
  app = await buildApp(config);
} catch (error) {
  if (error instanceof ClockSkewError) {
    console.error(`twofold auth: refusing to start: ${error.message}`);
    process.exit(3);
  }
  throw error;
}

closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'closing after an error');
  app.log.info({ signal }, 'draining');
  // Readiness turns 503 first, so the load balancers stop sending before the listener closes.
  app.draining = true;
  if (config.drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.drainDelayMs));
  await app.close();
});

await app.listen({ host: config.host, port: config.port });

// The local cluster's SMTP sink as a process: `TWOFOLD_SMTP_PORT` for SMTP and
// `TWOFOLD_MAILSINK_HTTP_PORT` for the page, both on 127.0.0.1 (or `TWOFOLD_MAILSINK_HOST`: a
// container's 0.0.0.0); SIGTERM or SIGINT stops it.
import closeWithGrace from 'close-with-grace';
import { startMailSink } from './mail-sink.ts';

function portFromEnv(name: string): number {
  const raw = process.env[name];
  const port = Number(raw);
  if (!raw || !Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(
      `twofold mailsink: bad configuration: ${name} must be a port number, got ${JSON.stringify(raw)}`,
    );
    process.exit(2);
  }
  return port;
}

const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
const host = process.env.TWOFOLD_MAILSINK_HOST || '127.0.0.1';
const sink = await startMailSink({
  host,
  smtpPort: portFromEnv('TWOFOLD_SMTP_PORT'),
  httpPort: portFromEnv('TWOFOLD_MAILSINK_HTTP_PORT'),
  log,
});
log(`mail sink: SMTP on ${host}:${sink.smtpPort}, caught mails at ${sink.url}`);

closeWithGrace({ delay: 5_000 }, async ({ signal, err }) => {
  if (err) log(`stopping after an error: ${err.message}`);
  else log(`stopping (${signal})`);
  await sink.close();
});

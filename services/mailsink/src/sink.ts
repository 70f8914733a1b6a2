import type { AddressInfo } from 'node:net';
import { type AddressObject, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerEnvelope } from 'smtp-server';
import type { CaughtMail, MailStore } from './mail-store.ts';

export interface SmtpSinkOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  store: MailStore;
  sizeLimitBytes?: number;
  onMail?: (mail: CaughtMail) => void;
  onError?: (error: Error) => void;
}

export interface SmtpSink {
  port: number;
  close(): Promise<void>;
}

const DEFAULT_SIZE_LIMIT_BYTES = 1024 * 1024;

/** An SMTP server that accepts every message from loopback and keeps it in the store; relays nothing. */
export async function startSmtpSink(options: SmtpSinkOptions): Promise<SmtpSink> {
  const sizeLimit = options.sizeLimitBytes ?? DEFAULT_SIZE_LIMIT_BYTES;
  const server = new SMTPServer({
    // A development sink: no login to set up, no certificate to trust.
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    size: sizeLimit,
    banner: 'Twofold mail sink (nothing is delivered)',
    logger: false,
    maxClients: 50,
    closeTimeout: 2_000,
    onData(stream, session, callback) {
      readLimited(stream, sizeLimit)
        .then(async (raw) => {
          if (!raw) {
            return callback(
              Object.assign(new Error('Message exceeds the size limit'), { responseCode: 552 }),
            );
          }
          const mail = options.store.add(await toCaughtMail(raw, session.envelope));
          options.onMail?.(mail);
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  server.on('error', (error) => options.onError?.(error));
  await new Promise<void>((resolve, reject) => {
    const listener = server.listen(options.port, options.host, () => {
      listener.off('error', reject);
      resolve();
    });
    listener.once('error', reject);
  });
  const { port } = server.server.address() as AddressInfo;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The whole message, or undefined once it passes the limit (the rest is drained, not kept). */
async function readLimited(stream: SMTPServerDataStream, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size <= limit && !stream.sizeExceeded ? Buffer.concat(chunks) : undefined;
}

async function toCaughtMail(raw: Buffer, envelope: SMTPServerEnvelope): Promise<Omit<CaughtMail, 'id'>> {
  const parsed = await simpleParser(raw);
  const sender = envelope.mailFrom ? envelope.mailFrom.address : '';
  return {
    receivedAt: new Date().toISOString(),
    from: addressText(parsed.from) || sender,
    to: envelope.rcptTo.map((recipient) => recipient.address.toLowerCase()),
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    date: parsed.date ? parsed.date.toISOString() : null,
  };
}

function addressText(address: AddressObject | AddressObject[] | undefined): string {
  if (!address) return '';
  return (Array.isArray(address) ? address : [address]).map((a) => a.text).join(', ');
}

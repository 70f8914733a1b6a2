import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import nodemailer from 'nodemailer';
import { withTimeout } from '../../../../common/src/with-timeout.ts';
import type { AuthConfig } from '../../config.ts';
import type { MailConfig } from '../../config-mail.ts';

export interface Mailer {
  /** False when no SMTP server is configured: email codes are then neither offered nor sent. */
  readonly enabled: boolean;
  /** Mails a sign-in code; rejects with MailUnavailableError when the SMTP server does not take it. */
  sendEmailCode(to: string, code: string, username: string): Promise<void>;
  close(): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    mailer: Mailer;
  }
}

export class MailUnavailableError extends Error {
  override name = 'MailUnavailableError';
}

// A login waits for the mail to be accepted, so a dead SMTP server must cost seconds, not minutes
// (nodemailer's own defaults are 2 and 10 minutes).
const CONNECT_TIMEOUT_MS = 3_000;
const GREETING_TIMEOUT_MS = 3_000;
const SOCKET_TIMEOUT_MS = 5_000;
const SEND_DEADLINE_MS = 8_000;

export function createMailer(mail: MailConfig | undefined): Mailer {
  const smtp = mail?.smtp;
  if (!mail || !smtp) {
    return {
      enabled: false,
      sendEmailCode: async () => {
        throw new MailUnavailableError('email codes are disabled (TWOFOLD_SMTP_PORT is not set)');
      },
      close: () => {},
    };
  }
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.port === 465,
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: GREETING_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
  });
  const minutes = Math.max(1, Math.round(mail.codeTtlSeconds / 60));
  return {
    enabled: true,
    async sendEmailCode(to, code, username) {
      const message = {
        from: mail.from,
        // As an address object, not a string nodemailer would parse: "a,b@x.org" stays one recipient.
        to: { name: '', address: to },
        // The code stays out of the subject, which lock screens and notifications show to anyone nearby.
        subject: 'Your Twofold sign-in code',
        text: [
          `Hello ${username},`,
          '',
          `Your Twofold sign-in code is: ${code}`,
          '',
          `It works once, within ${minutes} minute${minutes === 1 ? '' : 's'}.`,
          'If you did not just try to sign in, someone knows your password: change it, and do not share this code.',
        ].join('\n'),
      };
      try {
        await withTimeout('smtp', SEND_DEADLINE_MS, transport.sendMail(message));
      } catch (error) {
        throw new MailUnavailableError(`the SMTP server did not take the mail: ${(error as Error).message}`, {
          cause: error,
        });
      }
    },
    close: () => transport.close(),
  };
}

/** `app.mailer`: the email-code sender over SMTP, or a disabled one when SMTP is not configured. */
export default fp(
  async function mailer(app: FastifyInstance, { config }: { config: AuthConfig }) {
    const instance = createMailer(config.mail);
    app.decorate('mailer', instance);
    app.addHook('onClose', async () => instance.close());
    if (!instance.enabled) app.log.info('email codes disabled: TWOFOLD_SMTP_PORT is not set');
  },
  { name: 'mailer' },
);

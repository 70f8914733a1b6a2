import { MailStore } from './mail-store.ts';
import { type SmtpSink, startSmtpSink } from './sink.ts';
import { type SinkWeb, startSinkWeb } from './web.ts';

export interface MailSinkOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  smtpPort?: number;
  httpPort?: number;
  keep?: number;
  log?: (line: string) => void;
}

export interface MailSink {
  store: MailStore;
  smtpPort: number;
  httpPort: number;
  /** The developer page, e.g. http://127.0.0.1:8126/ */
  url: string;
  close(): Promise<void>;
}

/** The SMTP sink and its page, on loopback; the page answers only once SMTP listens. */
export async function startMailSink(options: MailSinkOptions = {}): Promise<MailSink> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => {});
  const store = new MailStore(options.keep);
  const smtp: SmtpSink = await startSmtpSink({
    host,
    port: options.smtpPort ?? 0,
    store,
    // The subject only: the text holds codes, and the log outlives the page.
    onMail: (mail) => log(`caught mail ${mail.id} to ${mail.to.join(', ')}: ${JSON.stringify(mail.subject)}`),
    onError: (error) => log(`smtp error: ${error.message}`),
  });
  let web: SinkWeb;
  try {
    web = await startSinkWeb({ host, port: options.httpPort ?? 0, store });
  } catch (error) {
    await smtp.close();
    throw error;
  }
  return {
    store,
    smtpPort: smtp.port,
    httpPort: web.port,
    url: web.url,
    close: async () => {
      await Promise.all([web.close(), smtp.close()]);
    },
  };
}

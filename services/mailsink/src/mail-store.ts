/** One message the sink caught, as the page and the JSON API show it. */
export interface CaughtMail {
  id: number;
  /** When the sink received it (ISO 8601). */
  receivedAt: string;
  /** The From header as written, else the envelope sender. */
  from: string;
  /** The envelope recipients, lower-cased: whom it was really delivered to (Bcc included). */
  to: string[];
  subject: string;
  text: string;
  /** The Date header (ISO 8601), or null when the message had none. */
  date: string | null;
}

/** The last `limit` messages in memory: a development sink keeps nothing across restarts. */
export class MailStore {
  private mails: CaughtMail[] = [];
  private nextId = 1;

  constructor(readonly limit = 200) {}

  add(mail: Omit<CaughtMail, 'id'>): CaughtMail {
    const caught = { id: this.nextId++, ...mail };
    this.mails.push(caught);
    if (this.mails.length > this.limit) this.mails.splice(0, this.mails.length - this.limit);
    return caught;
  }

  /** Newest first; with `to`, only the messages delivered to that address (any case). */
  list(to?: string): CaughtMail[] {
    const wanted = to?.trim().toLowerCase();
    const matching = wanted ? this.mails.filter((mail) => mail.to.includes(wanted)) : this.mails;
    return [...matching].reverse();
  }

  clear(): void {
    this.mails = [];
  }
}

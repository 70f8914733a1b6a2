// The paired headless phones of a push-login run, connected for the whole run. A prompt can reach
// a phone before the browser's POST returns, so prompts are kept from the moment they arrive.
import { type LoginPrompt, Phone } from '../../services/phone/src/phone.ts';
import { FlowError } from './flow-errors.ts';
import type { PoolUser } from './user-pool.ts';

export class PhoneBank {
  private readonly phones = new Map<string, Phone>();
  private readonly arrived = new Map<string, LoginPrompt>();
  private readonly waiting = new Map<string, (prompt: LoginPrompt) => void>();
  /** Username → the push replica holding its phone now. */
  readonly holders = new Map<string, string>();

  static async connect(users: PoolUser[], timeoutMs: number): Promise<PhoneBank> {
    const bank = new PhoneBank();
    await Promise.all(
      users.map(async (user) => {
        if (!user.phoneState) throw new Error(`${user.username} has no phone`);
        const phone = await Phone.load(user.phoneState, { fetchTimeoutMs: timeoutMs });
        phone.on('prompt', (prompt) => bank.deliver(prompt));
        phone.on('ready', (replica) => bank.holders.set(user.username, replica));
        phone.on('disconnected', () => bank.holders.delete(user.username));
        phone.on('error', () => {}); // reconnects are the phone's business; the flows see the outcome
        bank.phones.set(user.username, phone);
        await phone.connect();
      }),
    );
    return bank;
  }

  phoneOf(user: PoolUser): Phone {
    const phone = this.phones.get(user.username);
    if (!phone) throw new Error(`no phone for ${user.username}`);
    return phone;
  }

  private deliver(prompt: LoginPrompt): void {
    const waiter = this.waiting.get(prompt.challengeId);
    if (waiter) {
      this.waiting.delete(prompt.challengeId);
      waiter(prompt);
    } else this.arrived.set(prompt.challengeId, prompt);
  }

  /** The prompt of `challengeId`, arrived already or within `timeoutMs` (else a "prompt-timeout" error). */
  prompt(challengeId: string, timeoutMs: number): Promise<LoginPrompt> {
    const early = this.arrived.get(challengeId);
    if (early) {
      this.arrived.delete(challengeId);
      return Promise.resolve(early);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(challengeId);
        reject(new FlowError('prompt-timeout', `no prompt for ${challengeId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(challengeId, (prompt) => {
        clearTimeout(timer);
        resolve(prompt);
      });
    });
  }

  /** The push replica holding most phones now (the one a chaos run kills). */
  busiestReplica(): string | undefined {
    const counts = new Map<string, number>();
    for (const replica of this.holders.values()) counts.set(replica, (counts.get(replica) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  }

  async close(): Promise<void> {
    await Promise.all([...this.phones.values()].map((phone) => phone.close()));
  }
}

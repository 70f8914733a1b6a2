// Loopback source addresses for simulated clients (127/8 is all loopback on Linux), so that the
// per-address budgets of nginx and the replicas apply per simulated client, as they would to people.
import type { Agent } from 'node:http';
import { agentFrom } from './capacity-http.ts';

/** Host parts per /24 that are used: .1 to .254. */
const PER_BLOCK = 254;

/**
 * The `index`-th address of a range that starts at 127.<second>.0.1 and skips .0 and .255; ranges
 * of different `second` octets never overlap for fewer than 254*256 indexes.
 */
export function loopbackAddress(second: number, index: number): string {
  if (!Number.isInteger(second) || second < 1 || second > 254) throw new Error(`bad second octet ${second}`);
  if (!Number.isInteger(index) || index < 0 || index >= PER_BLOCK * 256)
    throw new Error(`bad index ${index}`);
  return `127.${second}.${Math.floor(index / PER_BLOCK)}.${(index % PER_BLOCK) + 1}`;
}

/** A keep-alive agent per address, handed out round robin: each use looks like another client. */
export class AddressPool {
  readonly #agents: Agent[];
  #next = 0;

  constructor(
    readonly second: number,
    readonly size: number,
    offset = 0,
    maxSocketsEach = 4,
  ) {
    this.#agents = Array.from({ length: size }, (_, i) =>
      agentFrom(loopbackAddress(second, offset + i), maxSocketsEach),
    );
  }

  /** The agent of address `i` (modulo the pool's size). */
  at(i: number): Agent {
    return this.#agents[i % this.size] as Agent;
  }

  next(): Agent {
    const agent = this.at(this.#next);
    this.#next = (this.#next + 1) % this.size;
    return agent;
  }

  close(): void {
    for (const agent of this.#agents) agent.destroy();
  }
}

// Source addresses of the virtual clients: each one a distinct loopback address 127.<a>.<b>.<c>, so
// the service's per-address budgets see many users, not one load generator.

/** Client `index` (0, 1, 2...): 127.x.y.z with z in 1..254, from 127.1.0.1 upwards (127.0.0.0/8 is loopback). */
export function clientAddress(index: number): string {
  if (!Number.isInteger(index) || index < 0) throw new Error(`client index ${index}: a non-negative integer`);
  const host = (index % 254) + 1;
  const net = Math.floor(index / 254);
  const second = 1 + Math.floor(net / 256);
  if (second > 254) throw new Error(`client index ${index}: more clients than loopback addresses`);
  return `127.${second}.${net % 256}.${host}`;
}

/** Where the addresses of newly registered users start, away from those of seeded or cached ones. */
export const FRESH_ADDRESS_BASE = 2_000_000;

// What the phone does with each pushed message (PROTOCOL.md, "Sealed messages"). The payloads are
// checked field by field: only well-formed ones are kept, and they are only ever shown as text.
import { openSealed } from '../lib/device-crypto.js';
import { markHandled } from './store.js';

const ALGORITHMS = new Set(['SHA1', 'SHA256', 'SHA512']);
const isText = (value, max = 200) => typeof value === 'string' && value.length > 0 && value.length <= max;
const isTime = (value) => Number.isFinite(value) && value > 0;
/** Absent (a sign-in), or the name of the application asking; anything else drops the message. */
const isApplication = (value) => value === undefined || isText(value, 100);

/**
 * Opens a message and folds it into the record. Resolves once the record is saved, so the caller
 * acknowledges only what is stored; a message already handled is skipped (and acknowledged again).
 * @param {object} record
 * @param {{id: string, sealed: {epk: string, iv: string, ct: string, mac: string}}} frame
 * @param {(record: object) => Promise<void>} save
 */
export async function receive(record, frame, save) {
  if (record.handled.includes(frame.id)) return;
  let payload = null;
  try {
    payload = await openSealed(record.encryptionKey, record.deviceId, frame.sealed, record.channelKey);
  } catch (error) {
    // Not sealed to this device, or not by the servers: it never will open, so it is acknowledged and dropped.
    console.warn('a push message this phone cannot open', error);
  }
  apply(record, payload, frame.id);
  markHandled(record, frame.id);
  await save(record);
}

/** @param {object} record @param {any} payload @param {string} id */
function apply(record, payload, id) {
  if (payload?.type === 'account') {
    const account = toAccount(payload);
    if (account) {
      record.accounts = [...record.accounts.filter((a) => a.userId !== account.userId), account];
    }
  } else if (payload?.type === 'login') {
    const prompt = toPrompt(payload, id);
    if (prompt && !record.inbox.some((item) => item.challengeId === prompt.challengeId)) {
      record.inbox = [...record.inbox, prompt];
    }
  } else if (payload?.type === 'code') {
    const code = toCode(payload, id);
    if (code) record.inbox = [...record.inbox, code];
  }
}

/** @param {any} p */
function toAccount(p) {
  const algorithm = String(p.algorithm ?? 'SHA1').toUpperCase();
  const digits = p.digits ?? 6;
  const period = p.period ?? 30;
  if (!isText(p.userId) || !isText(p.username) || !isText(p.secret) || !/^[A-Z2-7]+=*$/i.test(p.secret))
    return null;
  if (!ALGORITHMS.has(algorithm) || ![6, 7, 8].includes(digits)) return null;
  if (!Number.isInteger(period) || period < 10 || period > 300) return null;
  const issuer = isText(p.issuer) ? p.issuer : 'Twofold';
  return { userId: p.userId, username: p.username, issuer, secret: p.secret, algorithm, digits, period };
}

/** @param {any} p @param {string} id */
function toPrompt(p, id) {
  const choices = Array.isArray(p.choices) ? p.choices : [];
  // Number matching only works with three different two-digit numbers.
  const valid =
    choices.length === 3 &&
    new Set(choices).size === 3 &&
    choices.every((n) => Number.isInteger(n) && n >= 10 && n <= 99);
  if (!isText(p.challengeId) || !isText(p.username) || !valid || !isTime(p.expiresAt)) return null;
  if (!isApplication(p.application) || p.expiresAt <= Date.now()) return null;
  return {
    kind: 'login',
    ...(p.application === undefined ? {} : { application: p.application }),
    id,
    challengeId: p.challengeId,
    username: p.username,
    ip: isText(p.ip, 100) ? p.ip : '',
    userAgent: isText(p.userAgent, 1000) ? p.userAgent : '',
    createdAt: isTime(p.createdAt) ? p.createdAt : Date.now(),
    expiresAt: p.expiresAt,
    choices,
  };
}

/** @param {any} p @param {string} id */
function toCode(p, id) {
  if (!isText(p.username) || !/^\d{6,8}$/.test(String(p.code)) || !isTime(p.expiresAt)) return null;
  if (!isApplication(p.application) || p.expiresAt <= Date.now()) return null;
  const application = p.application === undefined ? {} : { application: p.application };
  return { kind: 'code', id, username: p.username, code: p.code, expiresAt: p.expiresAt, ...application };
}

/** Drops what has expired; true if anything went. @param {object} record */
export function pruneInbox(record, now = Date.now()) {
  const kept = record.inbox.filter((item) => item.expiresAt > now);
  const changed = kept.length !== record.inbox.length;
  record.inbox = kept;
  return changed;
}

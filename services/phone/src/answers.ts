// Answering a login prompt (PROTOCOL.md "Answering a login prompt"): the signed body, and posting it.
import { type Answer, signAnswer } from '../public/lib/device-crypto.js';
import { PhoneRequestError, postJson } from './http.ts';
import { apiUrl } from './link.ts';
import type { CryptoKey } from './state.ts';

export type Decision = Answer['decision'];
export type AnswerBody = Answer & { signature: string };
export type AnswerOutcome = 'approved' | 'denied' | 'wrong_number';

export async function signAnswerBody(signingKey: CryptoKey, answer: Answer): Promise<AnswerBody> {
  return { ...answer, signature: await signAnswer(signingKey, answer) };
}

/** Posts an answer; throws PhoneRequestError (status, code) when the server refuses it. */
export async function postAnswerBody(
  origin: string,
  body: AnswerBody,
  timeoutMs: number,
): Promise<{ outcome: AnswerOutcome }> {
  const result = (await postJson(apiUrl(origin, '/api/v1/push/answers'), body, timeoutMs)) as {
    outcome?: unknown;
  };
  const outcome = result?.outcome;
  if (outcome !== 'approved' && outcome !== 'denied' && outcome !== 'wrong_number') {
    throw new PhoneRequestError(200, 'bad_response', `unexpected answer outcome: ${JSON.stringify(result)}`);
  }
  return { outcome };
}

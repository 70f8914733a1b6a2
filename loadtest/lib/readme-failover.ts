// The README's Failover table ("measured (five runs)"), to print beside what a chaos run measured.

const FIGURES: Array<[RegExp, string]> = [
  [/^auth-\d+$/, 'SIGKILL auth-1: 0 of 114–285 checks failed; 0–1 of 13–58 logins got 502'],
  [/^pg-\d+$/, 'SIGKILL pg-primary: writes back 6.4–7.6 s after the kill; no registration failed'],
  [
    /^redis-\d+$/,
    'SIGKILL redis-master: reads back 3.2–4.0 s, writes 3.8–5.1 s after the kill; 1–2 checks and 2–3 logins got 503',
  ],
  [
    /^push-\d+$/,
    'SIGKILL the push replica holding a phone: phone back in 309–353 ms; the prompt comes through the other replica',
  ],
  [/^lb-[ab]$/, 'SIGKILL lb-a: lb-b serves the same sessions; none failed'],
  [/^etcd$/, 'SIGKILL etcd: none failed; longest write gap 0.27–1.03 s'],
];

export function readmeFigure(member: string): string | undefined {
  return FIGURES.find(([pattern]) => pattern.test(member))?.[1];
}

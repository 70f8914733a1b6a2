// Calls the control API of the `up` process that owns a cluster (see control-server.ts).
import http from 'node:http';
import { controlSocket } from './paths.ts';

export class NoSupervisorError extends Error {
  constructor(dataDir: string) {
    super(`no cluster is running from ${dataDir} (no \`twofold up\` answers on ${controlSocket(dataDir)})`);
  }
}

export function callControl<T>(
  dataDir: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = http.request(
      {
        socketPath: controlSocket(dataDir),
        method,
        path,
        timeout: timeoutMs,
        headers: payload ? { 'content-type': 'application/json' } : {},
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            return reject(new Error(`the supervisor answered ${response.statusCode}: ${text.slice(0, 200)}`));
          }
          if (response.statusCode === 200) return resolve(parsed as T);
          const message = (parsed as { error?: { message?: string } }).error?.message ?? text;
          reject(new Error(message));
        });
      },
    );
    request.once('timeout', () =>
      request.destroy(new Error(`the supervisor did not answer within ${timeoutMs} ms`)),
    );
    request.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT' || error.code === 'ECONNREFUSED' ? new NoSupervisorError(dataDir) : error,
      ),
    );
    request.end(payload);
  });
}

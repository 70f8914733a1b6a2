// One HTTP GET whose body we want (Patroni's REST API, HAProxy's stats), over a fresh
// connection with a timeout.
import http from 'node:http';

export interface TextResponse {
  status: number;
  text: string;
}

export function getResponse(
  url: string,
  timeoutMs = 2000,
  headers: Record<string, string> = {},
): Promise<TextResponse> {
  return new Promise((resolve, reject) => {
    // agent: false: nothing pooled that keeps the process alive.
    const request = http.get(url, { agent: false, timeout: timeoutMs, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('error', reject);
      response.once('end', () =>
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    request.once('timeout', () => request.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    request.once('error', reject);
  });
}

/** The body of a 200 answer; any other status is an error. */
export async function getText(
  url: string,
  timeoutMs = 2000,
  headers: Record<string, string> = {},
): Promise<string> {
  const { status, text } = await getResponse(url, timeoutMs, headers);
  if (status !== 200) throw new Error(`GET ${url} answered ${status}`);
  return text;
}

export async function getJson(url: string, timeoutMs = 2000): Promise<{ status: number; body: unknown }> {
  const { status, text } = await getResponse(url, timeoutMs);
  try {
    return { status, body: text ? JSON.parse(text) : undefined };
  } catch {
    throw new Error(`GET ${url} answered ${status} with a body that is not JSON`);
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';

// How Conjur (Rails behind nginx) answers, in the few shapes a client can see: `head` responses
// (empty body, Content-Length 0, a Content-Type Rails derives from the request format), Rails
// JSON (with ActiveSupport's HTML-safe escaping) and the token middleware's plain-text errors.

/**
 * A check failed. `code` is the CONJ code Conjur would log (the client never sees it); `status`
 * is what the client sees: 401 for nearly everything, 403 for a missing `authenticate`.
 */
export class ConjurDenial extends Error {
  override readonly name = 'ConjurDenial';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 401,
  ) {
    super(`${code} ${message}`);
  }
}

/** Rails `head(status)`: no body, but a Content-Type from the request format (html unless JSON is asked for). */
export function sendHead(req: IncomingMessage, res: ServerResponse, status: number): void {
  const wantsJson = /application\/json/i.test(req.headers.accept ?? '');
  res.writeHead(status, { 'content-type': wantsJson ? 'application/json' : 'text/html', 'content-length': 0 });
  res.end();
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendBody(res, status, railsJson(body), { 'content-type': 'application/json; charset=utf-8', ...headers });
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  sendBody(res, status, text, { 'content-type': 'text/plain' });
}

export function sendBody(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string>): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** `{"error":{"code":…,"message":…}}`, the body of Conjur's 404/406/422 errors. */
export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

/** JSON as the Rails process writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped. */
export function railsJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export async function readBody(req: IncomingMessage, limit = 1 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ConjurDenial('CONJ00000E', 'request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The client address as Rails reports it (IPv4-mapped IPv6 shown as plain IPv4). */
export function clientIp(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

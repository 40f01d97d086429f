import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConjurContext } from './context.js';
import { clientIp, sendBody, sendError, sendHead, sendJson, sendText } from './http.js';
import { hostIdOf } from './state.js';
import type { VariableRecord } from './state.js';
import { authorize } from './token-middleware.js';

// The token-protected endpoints (protocol §4.3–§4.5): one secret, a batch of secrets, whoami.
// Every one goes through the token middleware first (plain-text 401/403), then needs the role
// named by the token's `sub` to exist (else an empty 403).

interface Caller {
  readonly account: string;
  readonly hostId: string;
  readonly login: string;
  readonly issuedAt: number;
}

/** The middleware, then the role lookup; undefined when a response was already sent. */
function callerOf(ctx: ConjurContext, req: IncomingMessage, res: ServerResponse): Caller | undefined {
  const auth = authorize(req.headers.authorization, ctx.signers, ctx.now(), clientIp(req));
  if (auth.kind === 'none') return void sendText(res, 401, 'Authorization missing');
  if (auth.kind === 'error') return void sendText(res, auth.status, auth.message);
  const hostId = hostIdOf(auth.login);
  if (!auth.login.startsWith('host/') || auth.account !== ctx.state.account || !ctx.state.hosts.has(hostId)) return void sendHead(req, res, 403);
  return { account: auth.account, hostId, login: auth.login, issuedAt: auth.issuedAt };
}

const notFound = (res: ServerResponse, fullId: string) => sendError(res, 404, 'not_found', `CONJ00076E Variable ${fullId} is empty or not found.`);

export function handleSecret(ctx: ConjurContext, req: IncomingMessage, res: ServerResponse, route: { account: string; resourceKind: string; identifier: string }): void {
  const caller = callerOf(ctx, req, res);
  if (!caller) return;
  const fullId = `${route.account}:${route.resourceKind}:${route.identifier}`;
  const variable = route.resourceKind === 'variable' ? variableOf(ctx, route.account, route.identifier) : undefined;
  if (!variable || !(variable.execute.has(caller.hostId) || variable.read.has(caller.hostId))) return notFound(res, fullId);
  if (!variable.execute.has(caller.hostId)) return sendHead(req, res, 403);
  const version = new URLSearchParams(req.url?.split('?')[1] ?? '').get('version');
  if (version !== null && !/^[+-]?\d+$/.test(version.trim())) return sendError(res, 422, 'argument_error', "invalid type for parameter 'version'");
  const value = version === null ? variable.versions.at(-1) : variable.versions[Number(version) - 1];
  if (!value || (version !== null && Number(version) < 1)) return notFound(res, fullId);
  sendBody(res, 200, value, {
    'content-type': variable.mimeType ?? 'application/octet-stream',
    'content-disposition': 'attachment',
    'content-transfer-encoding': 'binary',
  });
}

export function handleBatchSecrets(ctx: ConjurContext, req: IncomingMessage, res: ServerResponse): void {
  const caller = callerOf(ctx, req, res);
  if (!caller) return;
  const ids = parseVariableIds(new URLSearchParams(req.url?.split('?')[1] ?? '').getAll('variable_ids').at(-1));
  if (!ids) return sendError(res, 422, 'argument_error', 'variable_ids');
  const found = ids.map((id) => ({ id, variable: variableOfFullId(ctx, id) }));
  if (found.some((f) => f.variable && !f.variable.execute.has(caller.hostId))) return sendHead(req, res, 403);
  if (new Set(ids).size !== ids.length) return sendHead(req, res, 500); // Conjur crashes building the error
  const missing = found.find((f) => !f.variable || f.variable.versions.length === 0);
  if (missing) return notFound(res, missing.id);
  const base64 = (req.headers['accept-encoding'] ?? '').toLowerCase() === 'base64';
  const values = found.map(({ id, variable }) => [id, variable!.versions.at(-1)!] as const);
  if (!base64 && values.some(([, value]) => !isUtf8(value))) {
    return sendError(res, 406, 'not_acceptable', "CONJ00074E Issue encoding secret into JSON format, try including 'Accept-Encoding: base64' header in request.");
  }
  const body = Object.fromEntries(values.map(([id, value]) => [id, base64 ? encode64(value) : value.toString('utf8')]));
  sendJson(res, 200, body, base64 ? { 'content-encoding': 'base64' } : {});
}

export function handleWhoami(ctx: ConjurContext, req: IncomingMessage, res: ServerResponse): void {
  const caller = callerOf(ctx, req, res);
  if (!caller) return;
  sendJson(res, 200, {
    client_ip: clientIp(req),
    user_agent: req.headers['user-agent'] ?? null,
    account: caller.account,
    username: caller.login,
    token_issued_at: new Date(caller.issuedAt * 1000).toISOString(),
  });
}

/** Ruby `split(',')`: trailing empty fields vanish; any other empty field, or no field, is an error. */
function parseVariableIds(text: string | undefined): string[] | undefined {
  const ids = (text ?? '').split(',');
  while (ids.length > 0 && ids.at(-1) === '') ids.pop();
  return ids.length === 0 || ids.includes('') ? undefined : ids;
}

function variableOf(ctx: ConjurContext, account: string, id: string): VariableRecord | undefined {
  return account === ctx.state.account ? ctx.state.variables.get(id) : undefined;
}

function variableOfFullId(ctx: ConjurContext, fullId: string): VariableRecord | undefined {
  const [account = '', kind = '', ...rest] = fullId.split(':');
  return kind === 'variable' ? variableOf(ctx, account, rest.join(':')) : undefined;
}

/** Ruby's `Base64.encode64`: a newline after every 60 characters and at the end. */
function encode64(value: Buffer): string {
  const lines = value.toString('base64').match(/.{1,60}/g) ?? [];
  return lines.map((line) => `${line}\n`).join('');
}

// The HTML interface's login: a form that takes an API token and keeps it in
// an HttpOnly, SameSite=Strict cookie, so pages work without Basic
// credentials and scripts never see the token. Posts from other sites are
// refused (browser-safety.ts), as for every state-changing form.
import formBody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DeltacloudError } from '../../core/errors.js';
import { refuseCrossOrigin } from '../../frontends/deltacloud/browser-safety.js';
import { STYLESHEET_PATH } from '../../frontends/deltacloud/html.js';
import { TOKEN_COOKIE, type TeamAuth } from './auth.js';

export const LOGIN_PATH = '/login';
const LOGOUT_PATH = '/logout';
/** How long the browser keeps the cookie (the token's own expiry still applies). */
const COOKIE_MAX_AGE_SECONDS = 12 * 3600;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(message?: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`
    + `<title>Sign in — Deltacloud API</title><link rel="stylesheet" href="${STYLESHEET_PATH}"></head><body><main><h1>Sign in</h1>`
    + (message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : '')
    + `<form method="post" action="${LOGIN_PATH}"><label for="token">API token</label> `
    + `<input id="token" name="token" type="password" autocomplete="off" required> <button type="submit">Sign in</button></form>`
    + `<form method="post" action="${LOGOUT_PATH}"><button type="submit">Sign out</button></form></main></body></html>`;
}

function cookie(value: string, secure: boolean, maxAge: number): string {
  return `${TOKEN_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

const ownOrigin = (req: FastifyRequest) => `${req.protocol}://${req.headers.host ?? 'localhost'}`;

function tokenField(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const value: unknown = new Map(Object.entries(body)).get('token');
  return typeof value === 'string' ? value.trim() : undefined;
}

/** A token is well under a kilobyte; the form carries nothing else. */
const LOGIN_BODY_BYTES = 4096;

export function registerLogin(app: FastifyInstance, auth: TeamAuth): void {
  const onRequest = refuseCrossOrigin(ownOrigin);
  const html = (reply: FastifyReply, status: number, text: string) => reply.code(status).type('text/html; charset=utf-8').header('Cache-Control', 'no-store').send(text);
  // Its own scope with its own small form parser: the root scope parses no bodies (each front end parses its own).
  void app.register(async (login) => {
    await login.register(formBody, { bodyLimit: LOGIN_BODY_BYTES });
    login.get(LOGIN_PATH, async (_req, reply) => html(reply, 200, page()));
    login.post(LOGIN_PATH, { onRequest }, async (req, reply) => {
      const token = tokenField(req.body);
      const checked = token ? await auth.checkToken(token) : undefined;
      if (!token || !checked || checked instanceof DeltacloudError) return html(reply, 401, page('That token is not valid (or it expired, or was revoked).'));
      return reply.header('Set-Cookie', cookie(token, req.protocol === 'https', COOKIE_MAX_AGE_SECONDS)).redirect('/api', 303);
    });
    login.post(LOGOUT_PATH, { onRequest }, async (req, reply) =>
      reply.header('Set-Cookie', cookie('', req.protocol === 'https', 0)).redirect(LOGIN_PATH, 303));
  });
}

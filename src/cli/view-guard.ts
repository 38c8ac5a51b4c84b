import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header the view's page presents its token in, on every API call. */
export const TOKEN_HEADER = 'x-septcheck-token';

/** A random token for one run of the view, carried in its URL (as Jupyter does). */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Why the view refuses a request (403), or undefined when it may be served. Any page in the
 * user's browser can send requests to a loopback port, and a DNS-rebinding site can send them with
 * its own Host: only requests to the view's own address, from its own page (Origin, when the
 * browser sends one), and for the API with the run's token, are served.
 */
export function refusal(
  req: IncomingMessage,
  port: number,
  token: string,
  api: boolean,
): string | undefined {
  const own = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (!own.includes(req.headers.host ?? '')) return "Host is not the view's own address";
  const origin = req.headers.origin;
  if (origin !== undefined && !own.some((h) => origin === `http://${h}`))
    return "Origin is not the view's own page";
  if (api) {
    const given = Buffer.from(String(req.headers[TOKEN_HEADER] ?? ''));
    const wanted = Buffer.from(token);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
      return 'no valid token (open the URL septcheck view printed)';
  }
  return undefined;
}

// Cross-origin write protection for browser sessions, by the rule of Go's net/http
// CrossOriginProtection: a cookie rides along with any site's form or fetch, so a cookie-signed write
// must come from our own pages. Browsers say where a request came from (Sec-Fetch-Site, or Origin in
// older ones); requests with neither (curl, scripts) and bearer-token calls are not browsers riding a
// cookie, and pass.
// Like Go, the rule does not ask whether a cookie was sent: sign-in has none yet, yet a foreign form
// could sign a victim into the attacker's account; and a path test for it would miss /API/v1/auth/login/,
// which Express routes to the same handler.
import type { Request, RequestHandler } from 'express';
import { bearerToken } from './auth';
import { ApiError } from './errors';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** scheme://host of this request as the browser addressed it (behind a loopback proxy, its X-Forwarded-*). */
function ownOrigin(req: Request): string | null {
  try {
    return new URL(`${req.protocol}://${req.host}`).origin;
  } catch {
    return null;
  }
}

function originOf(header: string): string | null {
  try {
    return new URL(header).origin;
  } catch {
    return null; // "null" (sandboxed pages, some redirects) or garbage: not ours
  }
}

/** Why a browser write is refused, or null when it may go ahead. */
export function crossOriginRefusal(req: Request, allowedOrigins: readonly string[]): string | null {
  if (safeMethods.has(req.method)) return null;
  // a page on another site cannot add an Authorization header without our CORS consent (none given)
  if (bearerToken(req)) return null;
  const origin = req.get('origin');
  const allowed = origin !== undefined && allowedOrigins.includes(originOf(origin) ?? '');
  const site = req.get('sec-fetch-site');
  if (site === 'same-origin' || site === 'none') return null;
  if (site) return allowed ? null : `this browser request came from another site (Sec-Fetch-Site: ${site}${origin ? `, Origin: ${origin}` : ''})`;
  if (origin === undefined) return null;
  const own = ownOrigin(req);
  if (allowed || (own !== null && originOf(origin) === own)) return null;
  return `this browser request came from ${origin}, not from this server (${own ?? req.get('host')})`;
}

export function originGuard(allowedOrigins: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    const refusal = crossOriginRefusal(req, allowedOrigins);
    if (!refusal) return next();
    next(new ApiError(403, 'cross_origin',
      `Cross-origin write refused: ${refusal}. Use the admin UI on this server, a bearer token from a script, ` +
      'or add the origin to the ALLOWED_ORIGINS setting',
      { origin: req.get('origin') ?? null, sec_fetch_site: req.get('sec-fetch-site') ?? null }));
  };
}

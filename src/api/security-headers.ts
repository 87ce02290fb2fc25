// Headers that make the browser refuse what our pages never do: sniffing a JSON reply as HTML, being
// framed by another site (clickjacking), leaking URLs to other sites, and running any script that does
// not come from this server as a file.
import type { RequestHandler } from 'express';

// Mantine writes inline style attributes, hence 'unsafe-inline' for styles only; img-src allows https:
// because our stored images may be served from a CDN (IMAGE_PUBLIC_URL); the UI never shows a
// source's own image URL as an image.
export const contentSecurityPolicy = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob: https:",
  "font-src 'self' data:", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'",
  "object-src 'none'",
].join('; ');

/** exemptFromCsp: mount points whose pages bring their own needs (Bull Board loads Google Fonts). */
export function securityHeaders(exemptFromCsp: readonly string[]): RequestHandler {
  const exempt = (path: string) => exemptFromCsp.some((mount) => path === mount || path.startsWith(`${mount}/`));
  return (req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('X-Frame-Options', 'DENY');
    if (!exempt(req.path.toLowerCase())) res.setHeader('Content-Security-Policy', contentSecurityPolicy);
    next();
  };
}

// Session cookies and API tokens are random secrets; only their sha256 is stored.
import crypto from 'node:crypto';

export function newSecret(prefix: string): string {
  return `${prefix}_${crypto.randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}

// Session cookies and API tokens are random secrets; only their sha256 is stored. Source credentials are sealed.
import crypto from 'node:crypto';

export function newSecret(prefix: string): string {
  return `${prefix}_${crypto.randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}

// Source credentials are stored encrypted (AES-256-GCM with SECRETS_KEY): the database alone does not
// give them away. The associated data binds a ciphertext to its config and name, so one copied to
// another row does not decrypt there.
export interface SealedSecret {
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

const keyOf = (secretsKey: string) => Buffer.from(secretsKey, 'base64');

export function sealSecret(secretsKey: string, boundTo: string, plaintext: string): SealedSecret {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', keyOf(secretsKey), iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(boundTo));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/** Throws when the key is not the one it was sealed with, or the row was changed. */
export function openSecret(secretsKey: string, boundTo: string, sealed: SealedSecret): string {
  // a tag shorter than GCM's full 16 bytes would be accepted by Node and weaken the check
  if (sealed.tag.length !== 16 || sealed.iv.length !== 12) throw new Error('not a sealed secret of this product');
  const decipher = crypto.createDecipheriv('aes-256-gcm', keyOf(secretsKey), sealed.iv, { authTagLength: 16 });
  decipher.setAAD(Buffer.from(boundTo));
  decipher.setAuthTag(sealed.tag);
  return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
}

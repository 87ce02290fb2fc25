// The one text form that identities are built from. It is stored in the bridge table (source_id)
// and on listings (match_hash) forever, so this function must never change behaviour: a change
// would silently re-key every generated source_id and break matching against past runs.

const combiningMark = /\p{M}/gu;
const notLetterOrDigit = /[^\p{L}\p{N}]+/gu;

/**
 * Unicode NFKD, drop combining marks, lowercase, every run of characters that are not letters or
 * digits becomes one space, trim. `null` and `undefined` read as the empty string.
 */
export function normalize(value: string | null | undefined): string {
  if (value === null || value === undefined) return '';
  return value
    .normalize('NFKD')
    .replace(combiningMark, '')
    .toLowerCase()
    .replace(notLetterOrDigit, ' ')
    .trim();
}

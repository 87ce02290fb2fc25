// Text no field can hold: a NUL (PostgreSQL's text and jsonb refuse it, failing the statement that
// carries it) and a lone UTF-16 surrogate (not Unicode: JSON's "\ud800"; pg would write it as U+FFFD).
// The API refuses them in requests (api/request-text.ts); the import rejects the records that hold them.

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be taken as text, or null when it can. */
export function textProblem(value: string): string | null {
  const nul = value.indexOf('\u0000');
  if (nul >= 0) return `holds a NUL character (\\u0000) at character ${nul + 1}, which text cannot contain`;
  const lone = loneSurrogate.exec(value);
  if (lone) {
    const code = lone[0].charCodeAt(0).toString(16);
    return `holds a lone UTF-16 surrogate (\\u${code}) at character ${lone.index + 1}, which is not Unicode text`;
  }
  return null;
}

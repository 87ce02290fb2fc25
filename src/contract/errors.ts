// How every error leaves the API (API.md): {"error": {code, message, details}}, and the path notation
// of a field in a 400's details, for the server that writes them and the admin UI that reads them.

/** Every error reply's body. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** A field's path as the details write it: `config_params.transform.map_fields["listings.name"]`, `roles[0]`. */
export function formatPath(path: readonly PropertyKey[], root?: string): string {
  let out = root ?? '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(key))) out += out ? `.${String(key)}` : String(key);
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || '(body)';
}

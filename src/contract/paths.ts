// The path notation of a field in a 400's details, for the server that writes it and the admin UI
// that matches it to form fields: `config_params.transform.map_fields["listings.name"]`, `roles[0]`.
export function formatPath(path: readonly PropertyKey[], root?: string): string {
  let out = root ?? '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(key))) out += out ? `.${String(key)}` : String(key);
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || '(body)';
}

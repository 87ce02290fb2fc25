// Fields of a nested source record (a WordPress post, a Drupal node, a GeoJSON feature) named by
// dotted paths in map_fields: `title.rendered`, `acf.phone`, `_embedded.wp:featuredmedia.0.source_url`,
// `field_images.*.url` (`*` takes every item of a list). A key that exists as written wins, so a
// CSV column named "Address.1" or an OSM tag "addr:street" is read as itself.

export type SourceFields = Record<string, unknown>;

function step(values: unknown[], segment: string): unknown[] {
  const next: unknown[] = [];
  for (const value of values) {
    if (value === null || value === undefined) continue;
    if (segment === '*') {
      // loops, not spreads: a list of 300k items must not overflow the call stack
      if (Array.isArray(value)) for (const item of value) next.push(item);
      else if (typeof value === 'object') for (const item of Object.values(value)) next.push(item);
      continue;
    }
    if (Array.isArray(value)) {
      if (/^\d+$/.test(segment)) next.push(value[Number(segment)]);
      // a path through a list without an index reads the field of each item
      else for (const item of value) if (item && typeof item === 'object' && Object.prototype.hasOwnProperty.call(item, segment)) next.push((item as SourceFields)[segment]);
      continue;
    }
    if (typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, segment)) next.push((value as SourceFields)[segment]);
  }
  return next;
}

/** Whether the record has the path at all (a null value counts: the field is there, empty). */
export function hasPath(record: SourceFields, path: string): boolean {
  if (record === null || typeof record !== 'object') return false;
  if (Object.prototype.hasOwnProperty.call(record, path)) return true;
  return walk(record, path).found;
}

function walk(record: SourceFields, path: string): { found: boolean; values: unknown[]; many: boolean } {
  const segments = path.split('.');
  let values: unknown[] = [record];
  let many = false;
  for (const segment of segments) {
    // through `*`, or through a list without an index, the path names several values
    if (segment === '*' || (!/^\d+$/.test(segment) && values.some(Array.isArray))) many = true;
    values = step(values, segment);
    if (!values.length) return { found: false, values, many };
  }
  return { found: true, values, many };
}

/** The value at a path: the key as written, else the path; several values (through `*` or a list) as an array. */
export function readPath(record: SourceFields, path: string): unknown {
  // a page of an API may be null or a number where an object was expected: nothing is there
  if (record === null || typeof record !== 'object') return undefined;
  if (Object.prototype.hasOwnProperty.call(record, path)) return record[path];
  const { found, values, many } = walk(record, path);
  if (!found) return undefined;
  if (!many) return values[0];
  const all: unknown[] = [];
  for (const value of values) {
    if (Array.isArray(value)) for (const item of value) all.push(item);
    else all.push(value);
  }
  return all.filter((value) => value !== null && value !== undefined && value !== '');
}

/** The value at a path as an id: trimmed text, or null when it is blank or not one value (a list, an object). */
export function idAt(record: SourceFields, path: string): string | null {
  const value = readPath(record, path);
  if (value === null || value === undefined || typeof value === 'object') return null;
  return String(value).trim() || null;
}

/**
 * The paths of a record's scalar values (and of lists of scalars), to suggest a mapping from and to
 * show in a preview; lists of objects are described by their first item (`items.0.name`).
 */
export function leafPaths(record: SourceFields, maxPaths = 500, maxDepth = 6): string[] {
  const paths: string[] = [];
  const visit = (value: unknown, path: string, depth: number) => {
    if (paths.length >= maxPaths) return;
    if (value === null || typeof value !== 'object' || depth >= maxDepth) {
      if (path) paths.push(path);
      return;
    }
    if (Array.isArray(value)) {
      if (!value.length || value.every((item) => item === null || typeof item !== 'object')) {
        if (path) paths.push(path);
      } else visit(value[0], `${path}.0`, depth + 1);
      return;
    }
    for (const [key, child] of Object.entries(value)) visit(child, path ? `${path}.${key}` : key, depth + 1);
  };
  visit(record, '', 0);
  return paths;
}

/** The leaf paths of several records, each once, in the order they first appear: a JSON source's "columns". */
export function leafPathsOf(records: readonly SourceFields[]): string[] {
  return [...new Set(records.flatMap((record) => leafPaths(record)))];
}

/** A record with nested values flattened to its leaf paths: what a preview table shows. */
export function flattenRecord(record: SourceFields): Record<string, unknown> {
  return Object.fromEntries(leafPaths(record).map((path) => [path, readPath(record, path)]));
}

// A Drupal site's content through its JSON:API module, a page at a time:
// GET {base_url}/jsonapi/{entity_type}/{bundle}?page[limit]=N (&include=…), then each page's
// links.next until there is none. Each resource is one record of its id, type and attributes, with
// each relationship resolved from `included` (id, type, attributes; a list for a to-many), so
// map_fields reads title, body.processed, field_address.locality, field_image.uri.url, field_tags.*.name.
//
// A site that needs signing in gets HTTP Basic with import.username and the password credential.
import { redactUrl } from '../http/client';
import { apiRoot, basicAuth, checkPageCount, describeJson, fetchJsonPage, SeenRecords, siteBaseUrl } from './site-pages';
import { SourceError, type SourceOpener, type SourceRecord } from './source';

/** The canonical fields every Drupal node names, used where the config maps nothing itself. */
const drupalFields = {
  'listings.name': 'title',
  'listing_info.description': 'body.processed',
};

const api = 'a Drupal JSON:API';

interface Identifier {
  type: string;
  id: string;
  meta?: Record<string, unknown>;
}
interface Resource extends Identifier {
  attributes?: Record<string, unknown>;
  relationships?: Record<string, { data?: Identifier | Identifier[] | null } | null>;
}
interface JsonApiDocument {
  data: Resource[];
  included: Resource[];
  next: string | null;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isIdentifier = (value: unknown): value is Identifier => isObject(value) && typeof value.type === 'string' && typeof value.id === 'string';
const resourceKey = (identifier: Identifier) => `${identifier.type}:${identifier.id}`;

/** How deep relationships of included resources are resolved (a node's media's file is two). */
const maxDepth = 3;

/** The page as JSON:API, or a SourceError saying what it is instead. */
function jsonApiDocument(body: unknown, url: URL): JsonApiDocument {
  const shown = redactUrl(url);
  if (isObject(body) && Array.isArray(body.errors) && !('data' in body)) {
    const first = body.errors[0] as { status?: unknown; title?: unknown; detail?: unknown } | undefined;
    throw new SourceError(`GET ${shown} answered a JSON:API error: ${[first?.status, first?.title, first?.detail].filter((part) => typeof part === 'string').join(' ') || 'no detail'}`);
  }
  if (!isObject(body) || !Array.isArray(body.data)) {
    const single = isObject(body) && isObject(body.data) ? ': one resource, not a collection' : '';
    throw new SourceError(`GET ${shown} answered JSON that is not a JSON:API document with a data list (${describeJson(body)})${single}; check import.base_url, entity_type and bundle`);
  }
  for (const [index, resource] of body.data.entries()) {
    if (!isIdentifier(resource)) throw new SourceError(`GET ${shown}: data item ${index + 1} is not a JSON:API resource (no type and id)`);
  }
  const included = Array.isArray(body.included) ? body.included.filter(isIdentifier) : [];
  const links = isObject(body.links) ? body.links : {};
  const next = isObject(links.next) ? links.next.href : links.next;
  return { data: body.data as Resource[], included: included as Resource[], next: typeof next === 'string' && next ? next : null };
}

/**
 * A resource as a record: id, type, its attributes, and its relationships resolved from `included`.
 * Unresolvable relationships (not included, or a loop back to a resource on the way) keep their
 * identifiers. A file's uri.url is made absolute: Drupal gives a path on the site.
 */
function flatten(resource: Resource, included: Map<string, Resource>, pageUrl: string, path: readonly string[] = []): Record<string, unknown> {
  const record: Record<string, unknown> = { id: resource.id, type: resource.type, ...resource.attributes };
  if (resource.type.startsWith('file--') && isObject(record.uri) && typeof record.uri.url === 'string') {
    record.uri = { ...record.uri, url: new URL(record.uri.url, pageUrl).href };
  }
  const resolve = (identifier: Identifier) => {
    const key = resourceKey(identifier);
    const target = included.get(key);
    const meta = identifier.meta ? { meta: identifier.meta } : {};
    if (!target || path.includes(key) || path.length >= maxDepth) return { id: identifier.id, type: identifier.type, ...meta };
    return { ...flatten(target, included, pageUrl, [...path, resourceKey(resource)]), ...meta };
  };
  for (const [name, relationship] of Object.entries(resource.relationships ?? {})) {
    const data = relationship?.data;
    if (data === undefined) continue; // links only: nothing to read
    if (data === null) record[name] = null;
    else if (Array.isArray(data)) record[name] = data.filter(isIdentifier).map(resolve);
    else if (isIdentifier(data)) record[name] = resolve(data);
  }
  return record;
}

export const openDrupal: SourceOpener = async ({ config, credentials, http, signal, log }) => {
  const { entity_type: entityType, bundle, include, page_limit: pageLimit, query } = config.import;
  const base = siteBaseUrl(config, 'Drupal');
  const signIn = basicAuth(config, credentials, 'password', 'Drupal');
  if (!bundle) throw new SourceError('import.bundle is not set: name the bundle to read, such as listing (the content type in /jsonapi/node/listing)');
  const first = apiRoot(base, 'jsonapi');
  first.pathname += `/${entityType}/${bundle}`;
  for (const [name, value] of Object.entries(query ?? {})) first.searchParams.set(name, value);
  first.searchParams.set('page[limit]', String(pageLimit));
  if (include?.length) first.searchParams.set('include', include.join(','));

  async function* resources(): AsyncGenerator<SourceRecord> {
    const seen = new SeenRecords('resource');
    const visited = new Set<string>();
    let line = 0;
    for (let url: URL | null = first, page = 1; url; page += 1) {
      checkPageCount(page, url);
      visited.add(url.href);
      const answer = await fetchJsonPage(http, url, { accept: 'application/vnd.api+json', api, headers: signIn, ...(signal ? { signal } : {}) });
      visited.add(answer.url);
      const document = jsonApiDocument(answer.body, url);
      for (const resource of document.data) seen.add(resource.id, page, url);
      const included = new Map(document.included.map((resource) => [resourceKey(resource), resource]));
      log.debug({ page, resources: document.data.length, included: included.size }, 'Drupal page read');
      for (const resource of document.data) {
        line += 1;
        yield { line, fields: flatten(resource, included, answer.url) };
      }
      url = document.next === null ? null : nextPage(document.next, answer.url, first.origin, visited, page);
    }
  }

  return { fields: null, records: resources(), mapping: drupalFields, guessFrom: (path) => path.startsWith('field_') };
};

/** The page links.next names, refused when it goes back to a page already read or off the site of import.base_url. */
function nextPage(href: string, pageUrl: string, siteOrigin: string, visited: ReadonlySet<string>, page: number): URL {
  let next: URL;
  try {
    next = new URL(href, pageUrl);
  } catch {
    throw new SourceError(`GET ${redactUrl(pageUrl)}: links.next of page ${page} is not a URL`);
  }
  if (next.origin !== siteOrigin) {
    throw new SourceError(`GET ${redactUrl(pageUrl)}: links.next of page ${page} points to another site (${next.origin}), which is not followed`);
  }
  if (visited.has(next.href)) {
    throw new SourceError(`GET ${redactUrl(pageUrl)}: links.next of page ${page} goes back to ${redactUrl(next)}, a page already read: the listing would never end`);
  }
  return next;
}

// The bad-input catalogue of the API, generated from the router (routeGroups, as auth.test.ts walks it),
// so a new route is in it the day it is declared: every path parameter, query parameter, JSON body field
// and header the app reads, sent what browsers, scripts and attackers send. Each case answers 4xx with
// a message naming what was wrong, never a 500, and a refused one leaves every table of the public,
// pipeline and staging schemas and every file of the blob store as it was. SQL and HTML are text:
// stored as sent and returned JSON-escaped.
import net from 'node:net';
import zlib from 'node:zlib';
import { z } from 'zod';
import { routeGroups } from '../src/api/app';
import type { RouteSpec } from '../src/api/routes';
import { loginBody, passwordChangeBody, tokenCreateBody } from '../src/contract/auth';
import { formatPath } from '../src/contract/errors';
import { refetchBody, imagesQuery } from '../src/contract/images';
import { adminListingsQuery, listingEditBody, publicListingsQuery } from '../src/contract/listings';
import { forceMatchBody, mappingsQuery, unmergeBody } from '../src/contract/mappings';
import { metricsSummaryQuery } from '../src/contract/metrics';
import {
  countsQuery, errorsQuery, executeStageBody, jobsQuery, previewQuery, promoteBody, reviewBody, rowsQuery,
} from '../src/contract/runs';
import {
  configBody, configDeleteQuery, configParamsFor, configPatch, dmoBody, dmoPatch, sourceTypes, suggestMappingBody,
} from '../src/contract/sources';
import { newUserBody, userPatchBody } from '../src/contract/users';
import { userWithRoles } from './harness/context';
import { ApiClient } from './harness/http';
import { approveAndPromote, startCsvRun, startPipelineUnderTest, waitForRun, type PipelineUnderTest } from './harness/pipeline';
import { noChange, watchState, type StateChange } from './harness/snapshot';

jest.setTimeout(120_000);

let product: PipelineUnderTest;
let baseUrl: string;
let token: string;
let api: ApiClient;

// ---------------------------------------------------------------- what each route reads

/**
 * The contract of each declared route's input: its JSON body and its query string, as the zod schemas
 * the handler parses them with. A route missing here fails the first test: declare what it reads.
 */
const contracts: Record<string, { body?: z.ZodType; query?: z.ZodType; multipart?: true }> = {
  'get /healthz': {}, 'get /readyz': {}, 'get /metrics': {},
  'post /api/v1/auth/login': { body: loginBody },
  'post /api/v1/auth/logout': {},
  'get /api/v1/auth/me': {},
  'post /api/v1/auth/password': { body: passwordChangeBody },
  'get /api/v1/auth/tokens': {},
  'post /api/v1/auth/tokens': { body: tokenCreateBody },
  'delete /api/v1/auth/tokens/:id': {},
  'get /api/v1/admin/users': {},
  'post /api/v1/admin/users': { body: newUserBody },
  'patch /api/v1/admin/users/:id': { body: userPatchBody },
  'delete /api/v1/admin/users/:id': {},
  'get /api/v1/admin/roles': {},
  'get /api/v1/pipeline/dmos': {},
  'post /api/v1/pipeline/dmos': { body: dmoBody },
  'get /api/v1/pipeline/dmos/:id': {},
  'patch /api/v1/pipeline/dmos/:id': { body: dmoPatch },
  'delete /api/v1/pipeline/dmos/:id': {},
  'get /api/v1/pipeline/configs': {},
  'post /api/v1/pipeline/configs': { body: configBody },
  'post /api/v1/pipeline/configs/suggest-mapping': { body: suggestMappingBody, multipart: true },
  'get /api/v1/pipeline/configs/:id': {},
  'patch /api/v1/pipeline/configs/:id': { body: configPatch },
  'delete /api/v1/pipeline/configs/:id': { body: configDeleteQuery, query: configDeleteQuery },
  'post /api/v1/pipeline/executeStage': { body: executeStageBody },
  'post /api/v1/pipeline/uploadStageFile': { multipart: true },
  'get /api/v1/pipeline/jobs': { query: jobsQuery },
  'get /api/v1/pipeline/jobs/:id': {},
  'get /api/v1/pipeline/jobs/:id/files': {},
  'get /api/v1/pipeline/jobs/:id/files/:fileId/download': {},
  'get /api/v1/pipeline/jobs/:id/files/:fileId/preview': { query: previewQuery },
  'get /api/v1/pipeline/jobs/:id/errors': { query: errorsQuery },
  'get /api/v1/pipeline/jobs/:id/errors.csv': {},
  'post /api/v1/pipeline/jobs/:id/retry': {},
  'post /api/v1/pipeline/jobs/:id/cancel': {},
  'post /api/v1/pipeline/jobs/:id/discard': {},
  'get /api/v1/pipeline/staging/rows': { query: rowsQuery },
  'get /api/v1/pipeline/staging/counts': { query: countsQuery },
  'get /api/v1/pipeline/staging/rows/:id': {},
  'post /api/v1/pipeline/staging/review': { body: reviewBody },
  'post /api/v1/pipeline/staging/promote': { body: promoteBody },
  'get /api/v1/pipeline/jobs/:id/images': { query: imagesQuery },
  'post /api/v1/pipeline/jobs/:id/images/refetch': { body: refetchBody },
  'get /api/v1/pipeline/listings': { query: adminListingsQuery },
  'get /api/v1/pipeline/listings/:id': {},
  'patch /api/v1/pipeline/listings/:id': { body: listingEditBody },
  'post /api/v1/pipeline/listing-info/:id/restore': {},
  'post /api/v1/pipeline/listing-info/:id/hide': {},
  'post /api/v1/pipeline/listing-info/:id/show': {},
  'post /api/v1/pipeline/listings/:id/archive': {},
  'post /api/v1/pipeline/listings/:id/unarchive': {},
  'get /api/v1/pipeline/mappings': { query: mappingsQuery },
  'post /api/v1/pipeline/mappings/force-match': { body: forceMatchBody },
  'post /api/v1/pipeline/mappings/unmerge': { body: unmergeBody },
  'get /api/v1/pipeline/metrics/summary': { query: metricsSummaryQuery },
  'get /v1/listings': { query: publicListingsQuery },
  'get /v1/listings/:id': {},
};

interface Route extends RouteSpec {
  /** "get /api/v1/pipeline/jobs/:id" */
  key: string;
  template: string;
  params: string[];
}

const declaredRoutes = (): Route[] =>
  routeGroups(product.t.ctx).flatMap((group) => group.routes.map((route) => {
    const template = `${group.prefix}${route.path}`;
    return { ...route, key: `${route.method} ${template}`, template, params: [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!) };
  }));

const contractOf = (route: Route) => contracts[route.key]!;

// ---------------------------------------------------------------- the records the routes are called on

/** Real ids, so a handler gets past "not found" to what it reads next. */
const existing = {} as Record<'userId' | 'tokenId' | 'dmoId' | 'configId' | 'runId' | 'fileId' | 'rowId' | 'listingId' | 'listingInfoId', number>;
/** An id no table has: writes are sent here, so a case that slips through changes nothing. */
const missingId = '987654321';

function idFor(route: Route, param: string): string {
  const path = route.template;
  if (param === 'fileId') return String(existing.fileId);
  if (path.includes('/tokens/')) return String(existing.tokenId);
  if (path.includes('/users/')) return String(existing.userId);
  if (path.includes('/dmos/')) return String(existing.dmoId);
  if (path.includes('/configs/')) return String(existing.configId);
  if (path.includes('/jobs/')) return String(existing.runId);
  if (path.includes('/staging/rows/')) return String(existing.rowId);
  if (path.includes('/listing-info/')) return String(existing.listingInfoId);
  if (path.includes('/listings/')) return String(existing.listingId);
  return '1';
}

/** The route's URL with each parameter given: a real id for reads, a missing one for writes, or as told. */
function urlOf(route: Route, given: Record<string, string> = {}): string {
  return route.template.replace(/:([A-Za-z]+)/g, (_, name: string) =>
    given[name] ?? (route.method === 'get' ? idFor(route, name) : missingId));
}

/** What a route needs in its query string to answer at all (the review pages name their run). */
const requiredQuery = (route: Route): Record<string, string> =>
  /\/staging\/(rows|counts)$/.test(route.template) ? { jobId: String(existing.runId) } : {};

/** The route's URL with its required query and `query` (raw, already encoded) after it; `replaces` drops a required one. */
function urlWithQuery(route: Route, query = '', replaces?: string): string {
  const required = Object.entries(requiredQuery(route)).filter(([name]) => name !== replaces).map(([name, value]) => `${name}=${value}`);
  const parts = [...required, query].filter(Boolean);
  return parts.length ? `${urlOf(route)}?${parts.join('&')}` : urlOf(route);
}

/** A route's answer to a plain call, to compare an ignored input's answer with. */
async function usualAnswers(routes: Route[], anonymous = false): Promise<Map<string, number>> {
  const usual = new Map<string, number>();
  for (const route of routes) {
    usual.set(route.key, (await send(route.method, urlWithQuery(route), { body: route.method === 'get' ? undefined : '{}', anonymous })).status);
  }
  return usual;
}

// The catalogue's names, for the records it creates. An import reads markup as HTML (domain/html-text.ts:
// no markup reaches production), so htmlName arrives as its text, Café; angleName has no HTML element.
const htmlName = '<script>alert("listing")</script><img src=x onerror=alert(1)> Café';
const angleName = 'Harbour <daily> Bar & "Grill"';
const sqlName = `Harbour Inn'; DROP TABLE public.listings; --`;
const likeName = `100%' OR 1=1 -- Guest House`;
const sqlColumn = `Notes'); DROP TABLE staging.rows; --`;

beforeAll(async () => {
  product = await startPipelineUnderTest();
  baseUrl = product.server.url;
  const user = await userWithRoles(product.t.ctx, ['super_admin']);
  const browser = new ApiClient(baseUrl);
  await browser.login(user.email, user.password);
  const created = (await browser.post('/api/v1/auth/tokens', { name: 'bad-input catalogue' })).body;
  token = created.token;
  api = new ApiClient(baseUrl, token);
  existing.userId = user.id;
  existing.tokenId = created.id as number;

  // one CSV source whose run was promoted: listings, their DMO records, a run with files and staged rows
  const dmo = await api.post('/api/v1/pipeline/dmos', { name: 'Catalogue DMO', dmo_type_id: 3 });
  existing.dmoId = dmo.body.id;
  const config = await api.post('/api/v1/pipeline/configs', {
    dmo_id: existing.dmoId, source_type: 'csv',
    config_params: {
      import: { source_id_column: 'ID' },
      transform: { map_fields: { 'listings.name': 'Name', 'locations.city': 'City', 'listing_info.description': sqlColumn } },
    },
  });
  expect(config.status).toBe(201);
  existing.configId = config.body.id;
  const csv = [
    `ID,Name,City,${sqlColumn}`,
    `L1,${htmlName},Halifax,<b>bold</b> & "quoted"`,
    `L2,${sqlName},Lunenburg,plain`,
    `L3,${likeName},Truro,'; SELECT pg_sleep(10); --`,
    `L4,${angleName},Windsor,<daily> <specials>`,
    '',
  ].join('\n');
  existing.runId = await startCsvRun(api, existing.configId, csv, 'catalogue.csv');
  await waitForRun(api, existing.runId, ['awaiting_review']);
  // approved whatever the proposals say (the gazetteer may not know a town): the catalogue needs listings
  expect((await api.post('/api/v1/pipeline/staging/review', { jobId: existing.runId, filter: {}, decision: 'approve' })).body).toEqual({ updated: 4 });
  await approveAndPromote(api, existing.runId);
  const files = (await api.get(`/api/v1/pipeline/jobs/${existing.runId}/files`)).body.files as { id: number; kind: string }[];
  existing.fileId = files.find((file) => file.kind === 'upload')!.id;
  const rows = (await api.get(`/api/v1/pipeline/staging/rows?jobId=${existing.runId}`)).body.rows as { id: number; listing_id: number; listing_info_id: number }[];
  existing.rowId = rows[0]!.id;
  existing.listingId = rows[0]!.listing_id;
  existing.listingInfoId = rows[0]!.listing_info_id;
  // nothing still at work after the promote (image jobs, progress) moves the snapshots
  await new Promise((resolve) => setTimeout(resolve, 300));
});
afterAll(() => product.close());

// ---------------------------------------------------------------- sending

interface Reply {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

async function send(method: string, url: string, options: { body?: string | Buffer; headers?: Record<string, string>; anonymous?: boolean } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (!options.anonymous) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${url}`, {
    method: method.toUpperCase(), headers, redirect: 'manual',
    body: method === 'get' ? undefined : options.body === undefined ? undefined : new Uint8Array(Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body)),
  });
  const text = await response.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, headers: response.headers };
}

const messageOf = (reply: Reply) => (reply.json?.error ? `${reply.json.error.message} ${JSON.stringify(reply.json.error.details ?? '')}` : '');
const shown = (reply: Reply) => `${reply.status} ${reply.text.slice(0, 300)}`;

/** Runs the cases a few at a time; each returns a failure (route, case, what came back) or null. */
async function runCases<T>(cases: T[], check: (item: T) => Promise<string | null>, concurrency = 12): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < cases.length) {
      const item = cases[next++]!;
      const failure = await check(item);
      if (failure) failures.push(failure);
    }
  }));
  return failures;
}

/** What changed in the database or the store while `run` ran: nothing, for a catalogue of refusals. */
async function unchangedBy(what: string, run: () => Promise<string[]>): Promise<string[]> {
  const changes = await watchState(product.t.ctx.db, product.t.storageDir);
  const failures = await run();
  const changed: StateChange = await changes();
  if (JSON.stringify(changed) !== JSON.stringify(noChange)) failures.push(`${what} changed the database or the store: ${JSON.stringify(changed)}`);
  return failures;
}

// ---------------------------------------------------------------- walking a zod schema

type PathKey = string | number;

interface WalkedSchema {
  leaves: PathKey[][];
  /** each object with the keys its shape names */
  objects: { path: PathKey[]; keys: string[] }[];
}

/** Every leaf of a schema (a string, number, enum, …) by its path, and every object by its own. */
function walkSchema(schema: z.ZodType, path: PathKey[] = [], out: WalkedSchema = { leaves: [], objects: [] }, depth = 0): WalkedSchema {
  if (depth > 12) return out;
  const def = (schema as any)._zod.def;
  switch (def.type) {
    case 'object':
      out.objects.push({ path, keys: Object.keys(def.shape) });
      for (const [key, inner] of Object.entries(def.shape as Record<string, z.ZodType>)) walkSchema(inner, [...path, key], out, depth + 1);
      break;
    case 'optional': case 'nullable': case 'default': case 'prefault': case 'nonoptional': case 'readonly': case 'catch':
      walkSchema(def.innerType, path, out, depth + 1);
      break;
    case 'pipe':
      walkSchema(def.in, path, out, depth + 1);
      break;
    case 'array':
      walkSchema(def.element, [...path, 0], out, depth + 1);
      break;
    case 'record': {
      const keys = (def.keyType as any)._zod.def.entries ? Object.values((def.keyType as any)._zod.def.entries) : ['x'];
      walkSchema(def.valueType, [...path, keys[0] as string], out, depth + 1);
      break;
    }
    case 'union':
      for (const option of def.options as z.ZodType[]) walkSchema(option, path, out, depth + 1);
      break;
    case 'tuple':
      (def.items as z.ZodType[]).forEach((item, i) => walkSchema(item, [...path, i], out, depth + 1));
      break;
    default:
      out.leaves.push(path);
  }
  return out;
}

const uniquePaths = (paths: PathKey[][]) => [...new Map(paths.map((path) => [JSON.stringify(path), path])).values()];

/** A body with `value` at `path` (arrays made at numeric steps). */
function bodyWith(path: PathKey[], value: unknown): unknown {
  if (!path.length) return value;
  const [head, ...rest] = path;
  if (typeof head === 'number') return Array.from({ length: head + 1 }, (_, i) => (i === head ? bodyWith(rest, value) : 0));
  return { [head!]: bodyWith(rest, value) };
}

/** Every string leaf of a route's body schema and its top-level keys: where a bad string is sent. */
function bodyPaths(route: Route): PathKey[][] {
  const schema = contractOf(route).body;
  if (!schema) return [['name'], ['id']];
  const walked = walkSchema(schema);
  return uniquePaths([...walked.leaves, ...walked.objects.map((object) => object.path).filter((path) => path.length === 1)]).filter((path) => path.length > 0);
}

function queryNames(route: Route): string[] {
  const schema = contractOf(route).query;
  const own = schema ? Object.keys((schema as any)._zod.def.shape ?? {}) : [];
  // names no route reads: they are ignored, and must be ignored whatever they hold
  return [...new Set([...own, 'q'])];
}

// ---------------------------------------------------------------- the catalogue

describe('the catalogue covers every declared route', () => {
  it('every route declared in the router has its input contract listed here', () => {
    const routes = declaredRoutes();
    expect(routes.length).toBeGreaterThan(50);
    expect(routes.filter((route) => !contracts[route.key]).map((route) => route.key)).toEqual([]);
    expect(Object.keys(contracts).filter((key) => !routes.some((route) => route.key === key))).toEqual([]);
  });
});

/** Ids that are not ids: each is a 400 naming the parameter (an empty segment matches no route: 404). */
const badIds: [string, string][] = [
  ['negative', '-1'], ['zero', '0'], ['huge 1e30', '1e30'], ['2^63', '9223372036854775808'], ['2^63 - 1', '9223372036854775807'],
  ['2^53 + 1', '9007199254740993'], ['fractional', '1.5'], ['letters', 'abc'], ['NUL', '%00'], ['id then NUL', '1%00'],
  ['a space', '%20'], ['a leading space', '%201'], ['a tab', '%09'], ['hexadecimal', '0x10'], ['exponent', '1e3'], ['plus sign', '+1'],
  ['Infinity', 'Infinity'], ['NaN', 'NaN'], ['Arabic-Indic digit', '%D9%A1'], ['invalid UTF-8', '%C3%28'], ['lone surrogate as UTF-8', '%ED%A0%80'],
  ['a percent sign', '%25'], ['SQL', `1'%20OR%20'1'='1`], ['an array', '1,2'],
];

describe('path parameters', () => {
  it('every id parameter of every route answers 400 naming it for ids that are not ids, never 500', async () => {
    const cases = declaredRoutes().flatMap((route) => route.params.flatMap((param) =>
      badIds.map(([label, value]) => ({ route, param, label, value }))));
    expect(cases.length).toBeGreaterThan(500);
    const failures = await unchangedBy('bad path ids', () => runCases(cases, async ({ route, param, label, value }) => {
      const url = urlOf(route, { [param]: value });
      const reply = await send(route.method, url, { body: route.method === 'get' ? undefined : '{}' });
      const names = reply.status === 400 && new RegExp(`Path parameter ${param}\\b`).test(messageOf(reply));
      return names ? null : `${route.key} ${param}=${value} (${label}): expected 400 naming "Path parameter ${param}", got ${shown(reply)}`;
    }));
    expect(failures).toEqual([]);
  });

  it('/images/{key}, served beside the declared routes, answers 404 to keys that are not image keys, never 500', async () => {
    const keys = ['%00', '%C3%28', '%ED%A0%80', '..%2F..%2Fetc%2Fpasswd', 'dev-images/..%2F..%2Fdev-data%2Fupload%2Fx.csv', `dev-images/${'a'.repeat(5000)}.png`, 'dev-images/x.png%00.csv'];
    for (const key of keys) {
      const reply = await send('get', `/images/${key}`, { anonymous: true });
      expect({ key, status: reply.status }).toEqual({ key, status: 404 });
    }
  });

  it('an empty id segment matches no route: 404, never 500', async () => {
    const cases = declaredRoutes().flatMap((route) => route.params.map((param) => ({ route, param })));
    const failures = await unchangedBy('empty ids', () => runCases(cases, async ({ route, param }) => {
      const reply = await send(route.method, urlOf(route, { [param]: '' }), { body: route.method === 'get' ? undefined : '{}' });
      // /jobs//files is no route; /dmos/ is the list (trailing slash), a route of its own
      return [200, 400, 404].includes(reply.status) && reply.status !== 500 ? null : `${route.key} ${param}="": got ${shown(reply)}`;
    }));
    expect(failures).toEqual([]);
  });
});

/** Query values that can never be text: refused naming the parameter, on every route, read or not. */
const unreadableQueryValues: [string, string][] = [
  ['NUL', '%00'], ['NUL inside', 'a%00b'], ['invalid UTF-8 (C3 28)', '%C3%28'], ['a lone surrogate as UTF-8', '%ED%A0%80'],
  ['an overlong slash', '%C0%AF'], ['a truncated sequence', '%E2%82'], ['a broken escape', '%G1'],
];
/** Query values that are text: a route that reads the parameter refuses them naming it, or answers as usual. */
const textQueryValues: [string, string][] = [
  ['SQL', encodeURIComponent(`'; DROP TABLE public.listings; --`)], ['a LIKE wildcard', encodeURIComponent(`%' OR 1=1 --`)],
  ['HTML', encodeURIComponent('<script>alert(1)</script>')], ['huge number', '1e30'], ['2^63', '9223372036854775808'],
  ['negative', '-1'], ['fractional', '1.5'], ['10,000 characters', 'x'.repeat(10_000)], ['an emoji', encodeURIComponent('🏨')],
];

describe('query parameters', () => {
  it('NUL and bytes that are not UTF-8 in any query parameter of any route answer 400 naming it', async () => {
    const cases = declaredRoutes().flatMap((route) => queryNames(route).flatMap((name) =>
      unreadableQueryValues.map(([label, value]) => ({ route, name, label, value }))));
    const failures = await unchangedBy('unreadable query values', () => runCases(cases, async ({ route, name, label, value }) => {
      const reply = await send(route.method, urlWithQuery(route, `${name}=${value}`, name), { body: route.method === 'get' ? undefined : '{}' });
      const names = reply.status === 400 && messageOf(reply).includes(`Query parameter ${name}`);
      return names ? null : `${route.key} ?${name}=${value} (${label}): expected 400 naming "Query parameter ${name}", got ${shown(reply)}`;
    }));
    expect(failures).toEqual([]);
  });

  it('text of any kind in a query parameter is refused naming it or answered as usual, never 500', async () => {
    const routes = declaredRoutes();
    const usual = await usualAnswers(routes);
    // a route that reads no query string gets a few of them: it ignores them all alike
    const valuesFor = (route: Route) => (contractOf(route).query ? textQueryValues : textQueryValues.filter(([label]) => ['SQL', 'HTML', '2^63'].includes(label)));
    const cases = routes.flatMap((route) => queryNames(route).flatMap((name) => [
      ...valuesFor(route).map(([label, value]) => ({ route, name, label, query: `${name}=${value}` })),
      { route, name, label: 'given twice', query: `${name}=1&${name}=2` },
      { route, name, label: 'as a nested key', query: `${name}[a]=1` },
      { route, name, label: 'empty', query: `${name}=` },
    ]));
    const failures = await unchangedBy('text query values', () => runCases(cases, async ({ route, name, label, query }) => {
      const reply = await send(route.method, urlWithQuery(route, query, name), { body: route.method === 'get' ? undefined : '{}' });
      if (reply.status === usual.get(route.key)) return null;
      if (reply.status === 400 && messageOf(reply).includes(name)) return null;
      return `${route.key} ?${query.slice(0, 60)} (${label}): expected ${usual.get(route.key)} as without it, or 400 naming ${name}; got ${shown(reply)}`;
    }));
    expect(failures).toEqual([]);
  });
});

const deepJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const deepObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

describe('JSON bodies', () => {
  const writes = () => declaredRoutes().filter((route) => route.method !== 'get');

  it('a NUL or a lone surrogate in any field the contract names (or a key) answers 400 naming the field', async () => {
    const cases = writes().flatMap((route) => bodyPaths(route).flatMap((path) => [
      { route, path, label: 'NUL', json: JSON.stringify(bodyWith(path, 'bad\u0000value')) },
      // JSON.stringify writes a lone surrogate as the escape \ud800, as a browser or a script would send it
      { route, path, label: 'lone surrogate', json: JSON.stringify(bodyWith(path, 'bad\ud800value')) },
      { route, path, label: 'NUL in a key', json: JSON.stringify(bodyWith([...path.slice(0, -1), `${String(path.at(-1))}\u0000`], 'x')) },
    ]));
    expect(cases.length).toBeGreaterThan(300);
    const failures = await unchangedBy('bad strings in bodies', () => runCases(cases, async ({ route, path, label, json }) => {
      const reply = await send(route.method, urlOf(route), { body: json });
      const field = formatPath(label === 'NUL in a key' ? path.slice(0, -1) : path);
      const names = reply.status === 400 && messageOf(reply).includes(label === 'NUL in a key' ? '\\u0000' : field);
      return names ? null : `${route.key} ${label} at ${field}: expected 400 naming ${field}, got ${shown(reply)}`;
    }));
    expect(failures).toEqual([]);
  });

  it('a body that is not UTF-8 answers 400 saying so, on every route', async () => {
    const bodies: [string, Buffer][] = [
      ['C3 28', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])],
      ['a lone surrogate encoded as UTF-8 (ED A0 80)', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
      ['Latin-1 é', Buffer.from('{"name":"Caf\xe9"}', 'latin1')],
      ['a cut multi-byte character', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')])],
    ];
    const cases = writes().filter((route) => !contractOf(route).multipart || contractOf(route).body)
      .flatMap((route) => bodies.map(([label, body]) => ({ route, label, body })));
    const failures = await unchangedBy('bodies not UTF-8', () => runCases(cases, async ({ route, label, body }) => {
      const reply = await send(route.method, urlOf(route), { body });
      return reply.status === 400 && /UTF-8/.test(messageOf(reply)) ? null : `${route.key} body with ${label}: expected 400 naming UTF-8, got ${shown(reply)}`;
    }));
    expect(failures).toEqual([]);
  });

  it('JSON nested 10,000 deep answers 400 or 413, never 500, and the server stays up', async () => {
    const cases = writes().flatMap((route) => [
      { route, label: 'arrays 10,000 deep', json: deepJson(10_000) },
      { route, label: 'objects 10,000 deep', json: deepObject(10_000) },
      ...bodyPaths(route).filter((path) => path.length === 1).map((path) => ({
        route, label: `10,000 deep under ${String(path[0])}`, json: `{${JSON.stringify(path[0])}:${deepObject(10_000)}}`,
      })),
    ]);
    const failures = await unchangedBy('deep JSON', () => runCases(cases, async ({ route, label, json }) => {
      const reply = await send(route.method, urlOf(route), { body: json });
      return [400, 413].includes(reply.status) ? null : `${route.key} ${label}: expected 400 or 413, got ${shown(reply)}`;
    }));
    expect(failures).toEqual([]);
    expect((await send('get', '/healthz')).status).toBe(200);
  });

  it('bodies of the wrong shape or type are refused with 4xx, never 500', async () => {
    const gzipBomb = zlib.gzipSync(Buffer.from(`{"name":"${' '.repeat(10 * 1024 * 1024)}"}`));
    expect(gzipBomb.length).toBeLessThan(64 * 1024);
    const variants: { label: string; body: string | Buffer; headers?: Record<string, string> }[] = [
      { label: 'a JSON array', body: '[]' }, { label: 'a JSON string', body: '"text"' }, { label: 'null', body: 'null' },
      { label: 'a number', body: '42' }, { label: 'malformed JSON', body: '{"name": ' }, { label: 'empty', body: '' },
      { label: 'JSON as text/plain', body: '{"name":"x"}', headers: { 'content-type': 'text/plain' } },
      { label: 'JSON with charset=latin1', body: '{"name":"x"}', headers: { 'content-type': 'application/json; charset=latin1' } },
      { label: 'JSON with charset=utf-16', body: '{"name":"x"}', headers: { 'content-type': 'application/json; charset=utf-16' } },
      { label: 'a Content-Type that is not UTF-8', body: '{"name":"x"}', headers: { 'content-type': 'application/json; charset="\u00c3("' } },
      { label: 'a form body', body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { label: 'multipart without a boundary', body: '--x\r\n', headers: { 'content-type': 'multipart/form-data' } },
      { label: 'multipart with a junk boundary', body: 'junk', headers: { 'content-type': 'multipart/form-data; boundary=\u00c3(' } },
      { label: 'a gzip bomb (10 MiB inflated)', body: gzipBomb, headers: { 'content-encoding': 'gzip' } },
      { label: 'an unknown Content-Encoding', body: '{}', headers: { 'content-encoding': 'compress' } },
      { label: 'over 1 MB', body: `{"name":"${'x'.repeat(1_100_000)}"}` },
    ];
    const routes = writes();
    const usual = await usualAnswers(routes);
    const cases = routes.flatMap((route) => variants.map((variant) => ({ route, ...variant })));
    const failures = await unchangedBy('bodies of the wrong shape', () => runCases(cases, async ({ route, label, body, headers }) => {
      const reply = await send(route.method, urlOf(route), { body, headers });
      if (reply.status >= 400 && reply.status < 500 && reply.json?.error?.message) return null;
      // a route that reads no body may answer as usual, whatever was sent
      if (!contractOf(route).body && reply.status === usual.get(route.key)) return null;
      return `${route.key} ${label}: expected a 4xx JSON error, got ${shown(reply)}`;
    }));
    expect(failures).toEqual([]);
  });
});

describe('headers the app reads', () => {
  // fetch sends each character of a header value as one byte: \u00c3( is the bytes C3 28, not UTF-8
  const notUtf8 = '\u00c3(';
  // the X-Forwarded-* headers are read together (req.protocol, req.host, req.ip): sent together
  const headerCases: [string, Record<string, string>][] = [
    ['X-Forwarded-* not UTF-8', { 'x-forwarded-for': notUtf8, 'x-forwarded-host': notUtf8, 'x-forwarded-proto': notUtf8 }],
    ['X-Forwarded-* not an address, host or scheme', {
      'x-forwarded-for': `'; DROP TABLE public.users; --`, 'x-forwarded-host': 'evil.example/x?y', 'x-forwarded-proto': 'javascript',
    }],
    ['Origin not UTF-8', { origin: notUtf8 }], ['Origin null', { origin: 'null' }], ['Origin not a URL', { origin: 'http://[' }],
    ['Sec-Fetch-Site junk', { 'sec-fetch-site': notUtf8 }],
    ['Content-Type not UTF-8', { 'content-type': `application/json; charset=${notUtf8}` }], ['Content-Type junk', { 'content-type': notUtf8 }],
    ['Accept and Accept-Encoding junk', { accept: notUtf8, 'accept-encoding': notUtf8 }],
  ];

  it('odd values in every header the app reads give every route its usual answer, never 500', async () => {
    const routes = declaredRoutes();
    const usual = await usualAnswers(routes);
    const cases = routes.flatMap((route) => headerCases.map(([label, headers]) => ({ route, label, headers })));
    const failures = await unchangedBy('odd headers', () => runCases(cases, async ({ route, label, headers }) => {
      const reply = await send(route.method, urlWithQuery(route), { body: route.method === 'get' ? undefined : '{}', headers });
      const fine = reply.status === usual.get(route.key) || (reply.status >= 400 && reply.status < 500 && reply.json?.error?.message);
      return fine ? null : `${route.key} ${label}: expected ${usual.get(route.key)} or a 4xx error, got ${shown(reply)}`;
    }));
    expect(failures).toEqual([]);
  });

  it('a write without a token and with an odd Origin or X-Forwarded-* is refused with 4xx (or answered as usual), never 500', async () => {
    const writes = declaredRoutes().filter((route) => route.method !== 'get');
    const usual = await usualAnswers(writes, true);
    const cases = writes.flatMap((route) => headerCases.filter(([label]) => /Origin|Forwarded|Sec-Fetch/.test(label)).map(([label, headers]) => ({ route, label, headers })));
    const failures = await unchangedBy('anonymous writes with odd origins', () => runCases(cases, async ({ route, label, headers }) => {
      const reply = await send(route.method, urlOf(route), { body: '{}', headers, anonymous: true });
      const fine = reply.status === usual.get(route.key) || (reply.status >= 400 && reply.status < 500 && reply.json?.error?.message);
      return fine ? null : `${route.key} ${label} without a token: expected ${usual.get(route.key)} or a 4xx error, got ${shown(reply)}`;
    }));
    expect(failures).toEqual([]);
  });

  it('a NUL or a line break in a header value is refused by the HTTP server (400) and the server stays up', async () => {
    const raw = (request: string) => new Promise<string>((resolve, reject) => {
      const { hostname, port } = new URL(baseUrl);
      const socket = net.connect(Number(port), hostname, () => socket.end(Buffer.from(request, 'latin1')));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('latin1')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    for (const header of ['X-Forwarded-For: 1.2.3.4\u0000', 'Origin: http://a\u0000b', 'Content-Type: application/json\u0000']) {
      const answer = await raw(`POST /api/v1/pipeline/dmos HTTP/1.1\r\nHost: localhost\r\n${header}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
      expect({ header, status: answer.split('\r\n')[0] }).toEqual({ header, status: expect.stringMatching(/^HTTP\/1\.1 400/) });
    }
    expect((await send('get', '/healthz')).status).toBe(200);
  });
});

describe('config_params', () => {
  /** Every section of config_params a config of each source type may have, walked from its schema. */
  const sections = () => uniqueSections(sourceTypes.flatMap((sourceType) =>
    walkSchema(configParamsFor(sourceType)).objects
      // the sections after import are the same for every type: once, with csv
      .filter((object) => sourceType === 'csv' || object.path[0] === 'import')
      .map((object) => ({ sourceType, ...object }))));
  const uniqueSections = <T extends { sourceType: string; path: PathKey[] }>(list: T[]) =>
    [...new Map(list.map((item) => [`${item.sourceType} ${JSON.stringify(item.path)}`, item])).values()];

  it('an unknown key in any section, on a POST or a PATCH, is refused with 400 naming its path; a typo names the key meant', async () => {
    const found = sections();
    expect(found.map((section) => `${section.sourceType} ${formatPath(section.path, 'config_params')}`)).toEqual(expect.arrayContaining([
      'csv config_params', 'csv config_params.import', 'csv config_params.transform', 'csv config_params.validate',
      'csv config_params.validate.business_rules', 'csv config_params.geocode', 'csv config_params.stage', 'csv config_params.promote',
      'api config_params.import.pagination', 'api config_params.import.auth', 'website config_params.import.list',
      'website config_params.import.next', 'website config_params.import.fields.x',
    ]));
    const cases = found.flatMap(({ sourceType, path, keys }) => [
      { sourceType, path, key: 'bogus_setting', meant: null as string | null },
      // a typo: the key without its last letter, or with two letters swapped for a short one
      ...keys.filter((key) => key.length >= 5).map((key) => ({ sourceType, path, key: key.slice(0, -1), meant: key })),
    ]);
    expect(cases.length).toBeGreaterThan(100);
    const where = (path: PathKey[]) => formatPath(path, 'config_params');
    const failures = await unchangedBy('unknown config_params keys', () => runCases(cases.flatMap((item) => [
      { ...item, method: 'post', url: '/api/v1/pipeline/configs', body: { dmo_id: existing.dmoId, source_type: item.sourceType } },
      { ...item, method: 'patch', url: `/api/v1/pipeline/configs/${existing.configId}`, body: { source_type: item.sourceType, on_pending_runs: 'keep' } },
    ]), async ({ sourceType, path, key, meant, method, url, body }) => {
      const reply = await send(method, url, { body: JSON.stringify({ ...body, config_params: bodyWith([...path, key], 1) }) });
      const message = messageOf(reply);
      const named = reply.status === 400 && message.includes(where(path)) && message.includes(key) && (!meant || message.includes(`did you mean ${meant}?`));
      return named ? null : `${method} ${sourceType} ${where([...path, key])}: expected 400 naming it${meant ? ` and "did you mean ${meant}?"` : ''}, got ${shown(reply)}`;
    }));
    expect(failures).toEqual([]);
  });

  it('an unknown canonical field as a key of map_fields, data_types or conflict_resolution is refused naming it', async () => {
    const records: PathKey[][] = [['transform', 'map_fields'], ['validate', 'data_types'], ['promote', 'conflict_resolution']];
    const failures = await unchangedBy('unknown record keys', () => runCases(records, async (path) => {
      const reply = await send('post', '/api/v1/pipeline/configs', {
        body: JSON.stringify({ dmo_id: existing.dmoId, source_type: 'csv', config_params: bodyWith([...path, 'listings.nmae'], 'text') }),
      });
      return reply.status === 400 && messageOf(reply).includes('listings.nmae') ? null : `${formatPath(path, 'config_params')}: got ${shown(reply)}`;
    }));
    expect(failures).toEqual([]);
  });
});

describe('SQL and HTML are text', () => {
  const listingNamed = async (name: string) => {
    const { rows } = await product.t.ctx.db.query('SELECT id FROM public.listings WHERE name = $1', [name]);
    return rows[0]?.id as number;
  };

  it('names with SQL and angle brackets were imported and promoted as sent (markup as its text), and come back JSON-escaped', async () => {
    const { rows } = await product.t.ctx.db.query('SELECT name FROM public.listings');
    expect(rows.map((row) => row.name).sort()).toEqual(['Café', angleName, likeName, sqlName].sort());
    const id = await listingNamed(angleName);
    for (const url of [`/api/v1/pipeline/listings/${id}`, `/v1/listings/${id}`, `/api/v1/pipeline/staging/rows?jobId=${existing.runId}`]) {
      const reply = await send('get', url);
      expect({ url, status: reply.status }).toEqual({ url, status: 200 });
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
      expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
      expect(reply.text).not.toMatch(/<daily>|<specials>/);
      expect(reply.text).toContain('\\u003cdaily\\u003e');
      expect(JSON.stringify(reply.json)).toContain(JSON.stringify(angleName).slice(1, -1));
    }
    const config = await send('get', `/api/v1/pipeline/configs/${existing.configId}`);
    expect(config.json.config_params.transform.map_fields['listing_info.description']).toBe(sqlColumn);
    const row = (await send('get', `/api/v1/pipeline/staging/rows?jobId=${existing.runId}&q=${encodeURIComponent('Truro')}`)).json.rows[0];
    expect(row.description).toBe(`'; SELECT pg_sleep(10); --`);
  });

  it.each([
    ['the admin search', '/api/v1/pipeline/listings?q=', (body: any) => body.rows],
    ['the public search', '/v1/listings?q=', (body: any) => body.listings],
    ['the review search', () => `/api/v1/pipeline/staging/rows?jobId=${existing.runId}&q=`, (body: any) => body.rows],
  ])('%s reads SQL and LIKE wildcards as the text they are', async (_what, prefix, rowsOf) => {
    const search = async (q: string) => {
      const reply = await send('get', `${typeof prefix === 'function' ? prefix() : prefix}${encodeURIComponent(q)}`);
      expect({ q, status: reply.status }).toEqual({ q, status: 200 });
      return (rowsOf(reply.json) as { name: string }[]).map((row) => row.name).sort();
    };
    expect(await search(`%' OR 1=1 --`)).toEqual([likeName]);
    expect(await search(`'; DROP TABLE public.listings; --`)).toEqual([sqlName]);
    expect(await search('%')).toEqual([likeName]);
    expect(await search('_')).toEqual([]);
    expect(await search(`' OR '1'='1`)).toEqual([]);
    expect(await search('\\')).toEqual([]);
    expect(await search('<script>')).toEqual([]);
    expect(await search('<daily>')).toEqual([angleName]);
    const { rows } = await product.t.ctx.db.query(`SELECT to_regclass('public.listings') AS listings, to_regclass('staging.rows') AS staged`);
    expect(rows[0]).toEqual({ listings: 'listings', staged: 'staging.rows' });
  });

  it('a mapping filter by source id is a literal match', async () => {
    for (const sourceId of [`' OR '1'='1`, '%', 'L%', `L1'; --`]) {
      const reply = await send('get', `/api/v1/pipeline/mappings?source_id=${encodeURIComponent(sourceId)}`);
      expect({ sourceId, status: reply.status, rows: reply.json.rows }).toEqual({ sourceId, status: 200, rows: [] });
    }
    expect((await send('get', '/api/v1/pipeline/mappings?source_id=L1')).json.rows).toHaveLength(1);
  });

  it('text fields written through the API keep SQL and HTML as sent and return them escaped', async () => {
    const dmo = await send('post', '/api/v1/pipeline/dmos', { body: JSON.stringify({ name: htmlName, dmo_type_id: 2 }) });
    expect(dmo.status).toBe(201);
    expect(dmo.text).not.toContain('<script');
    expect((await send('get', `/api/v1/pipeline/dmos/${dmo.json.id}`)).json.name).toBe(htmlName);

    const config = await send('post', '/api/v1/pipeline/configs', { body: JSON.stringify({
      dmo_id: dmo.json.id, source_type: 'csv', name: sqlName,
      config_params: { import: { source_id_column: `ID'--` }, transform: { map_fields: { 'listings.name': `"; DELETE FROM public.listings; --` } } },
    }) });
    expect(config.status).toBe(201);
    expect(config.json).toMatchObject({ name: sqlName, config_params: { import: { source_id_column: `ID'--` }, transform: { map_fields: { 'listings.name': `"; DELETE FROM public.listings; --` } } } });

    const listingId = await listingNamed(sqlName);
    const edit = await send('patch', `/api/v1/pipeline/listings/${listingId}`, { body: JSON.stringify({ name: `${sqlName} <b>edited</b>`, location: { city: '<i>Halifax</i>' } }) });
    expect(edit.status).toBe(200);
    expect(edit.json).toMatchObject({ name: `${sqlName} <b>edited</b>`, location: { city: '<i>Halifax</i>' } });
    expect(edit.text).not.toMatch(/<b>|<i>/);

    const user = await send('post', '/api/v1/admin/users', { body: JSON.stringify({ email: 'html@test.local', name: htmlName, password: `'; DROP TABLE public.users; --` }) });
    expect(user.status).toBe(201);
    expect(user.json.user.name).toBe(htmlName);
    expect((await new ApiClient(baseUrl).post('/api/v1/auth/login', { email: 'html@test.local', password: `'; DROP TABLE public.users; --` })).status).toBe(200);
    const { rows } = await product.t.ctx.db.query('SELECT count(*)::int AS n FROM public.listings');
    expect(rows[0].n).toBe(4);
  });
});

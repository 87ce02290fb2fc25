// Settings from the environment: the only module that reads process.env.
// A wrong setting stops the process with one line naming it and saying what is expected.
import path from 'node:path';
import { z } from 'zod';

export const repoRoot = path.resolve(__dirname, '..');

const url = (protocols: string[], example: string) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a URL like ${example}` },
  );

/** scheme://host[:port] and nothing more, as a browser's Origin header carries it. */
function isOrigin(value: string): boolean {
  try {
    const parsed = new URL(value);
    return ['http:', 'https:'].includes(parsed.protocol) && parsed.origin === value.replace(/\/$/, '').toLowerCase();
  } catch {
    return false;
  }
}

const positiveInt = (what: string) =>
  z.coerce.number({ message: `expected ${what}` }).int({ message: `expected ${what}` }).positive({ message: `expected ${what}` });

/** A share from 0 to 1, as a fraction (0.1 is 10 %). */
const ratio = () =>
  z.coerce.number({ message: 'expected a fraction from 0 to 1, e.g. 0.1 for 10 %' })
    .min(0, { message: 'expected a fraction from 0 to 1, e.g. 0.1 for 10 %' })
    .max(1, { message: 'expected a fraction from 0 to 1, e.g. 0.1 for 10 %' });

const settingsSchema = z.object({
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgres://user@host:5432/dbname').default(
    'postgres://postgres@127.0.0.1:5432/listings',
  ),
  // Connections of each process's main pool (writes, sign-in, workers' steps). The server's API reads
  // (searches, listing lists, review pages, the public API) have a pool of their own of half as many
  // (apiReadPoolSize), and /readyz one connection more: a server holds at most 1.5 × this + 1.
  DB_POOL_SIZE: positiveInt('a number of connections, at least 2').min(2, { message: 'expected a number of connections, at least 2' }).default(10),
  // How long an API read may wait for a read connection, and each of its statements run (PostgreSQL's
  // statement_timeout), before it answers 503 query_timeout.
  API_READ_TIMEOUT_MS: positiveInt('milliseconds').default(10_000),
  REDIS_URL: url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379').default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}:-]+$/, { message: 'expected letters, digits, _ - : and a {hash tag}, e.g. {pipeline}' })
    .default('{pipeline}'),
  STORAGE_URL: url(['file:', 's3:'], 'file:///var/lib/listings or s3://bucket').default(
    `file://${path.join(repoRoot, 'data')}`,
  ),
  S3_ENDPOINT: url(['http:', 'https:'], 'http://127.0.0.1:9000').optional(),
  S3_REGION: z.string().default('us-east-1'),
  PORT: z.coerce.number({ message: 'expected a port number' }).int().min(0).max(65535).default(3000),
  // Encrypts source credentials (application passwords, API keys) at rest: 32 random bytes, base64
  // (`openssl rand -base64 32`). Without it, a config that sets a credential is refused.
  SECRETS_KEY: z.string().refine((text) => Buffer.from(text, 'base64').length === 32 && /^[A-Za-z0-9+/]+={0,2}$/.test(text), {
    message: 'expected 32 bytes in base64, e.g. the output of openssl rand -base64 32',
  }).optional(),
  ADMIN_EMAIL: z.string().email({ message: 'expected an email address' }).optional(),
  ADMIN_PASSWORD: z.string().min(8, { message: 'expected at least 8 characters' }).optional(),
  PIPELINE_ENV: z
    .string()
    .regex(/^[a-z0-9-]+$/, { message: 'expected lowercase letters, digits and dashes, e.g. dev' })
    .default('dev'),
  UPLOAD_MAX_BYTES: positiveInt('a number of bytes').default(512 * 1024 * 1024),
  STAGING_RETENTION_DAYS: positiveInt('a number of days').default(30),
  ALLOW_PRIVATE_HOSTS: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((host) => host.trim()).filter(Boolean)),
  // Every outbound request's limits (src/http/client.ts): one try's time, and the body's decoded size.
  HTTP_TIMEOUT_MS: positiveInt('milliseconds').default(15_000),
  HTTP_MAX_BYTES: positiveInt('a number of bytes').default(20 * 1024 * 1024),
  // Browser origins besides the server's own whose pages may write (a UI dev server, a TLS proxy's
  // public URL): see src/api/origin-guard.ts. Kept as URL.origin, the form browsers send.
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean))
    .refine((origins) => origins.every(isOrigin), { message: 'expected comma-separated origins like https://admin.example.org,http://localhost:5173' })
    .transform((origins) => origins.map((origin) => new URL(origin).origin)),
  GEOCODER: z.enum(['gazetteer', 'google', 'nominatim']).default('gazetteer'),
  GOOGLE_PLACES_API_KEY: z.string().optional(),
  GOOGLE_PLACES_URL: url(['http:', 'https:'], 'https://places.googleapis.com').optional(),
  NOMINATIM_URL: url(['http:', 'https:'], 'https://nominatim.openstreetmap.org').optional(),
  GEOCODE_RATE_PER_SEC: z.coerce.number({ message: 'expected calls per second' }).positive().default(1),
  // a geocode job's tries (a timeout, a 500, a quota refusal are tried again with exponential backoff)
  // before its address is marked failed for the run; and how long one provider call may take
  GEOCODE_ATTEMPTS: positiveInt('a number of tries').default(5),
  GEOCODE_RETRY_DELAY_MS: positiveInt('milliseconds').default(10_000),
  GEOCODE_TIMEOUT_MS: positiveInt('milliseconds').default(10_000),
  // Images (the `image` queue, src/processors/image.ts): a download's size and time, the largest
  // picture decoded, the sizes made (name:long side in px, comma-separated), their format and quality,
  // how hard one host is pressed fleet-wide, and where the stored copies are served from.
  IMAGE_MAX_BYTES: positiveInt('a number of bytes').default(20 * 1024 * 1024),
  IMAGE_FETCH_TIMEOUT_MS: positiveInt('milliseconds').default(15_000),
  IMAGE_MAX_PIXELS: positiveInt('a number of pixels').default(50_000_000),
  IMAGE_VARIANTS: z.string().default('large:1600,medium:800,thumb:320').transform((text, ctx) => {
    const variants = parseImageVariants(text);
    if (typeof variants === 'string') {
      ctx.issues.push({ code: 'custom', input: text, message: variants });
      return z.NEVER;
    }
    return variants;
  }),
  IMAGE_FORMAT: z.enum(['webp', 'avif', 'jpeg'], { message: 'expected webp, avif or jpeg' }).default('webp'),
  IMAGE_QUALITY: positiveInt('a quality from 1 to 100').max(100, { message: 'expected a quality from 1 to 100' }).default(80),
  IMAGE_HOST_RATE_PER_SEC: z.coerce.number({ message: 'expected requests per second' })
    .min(1 / 60, { message: 'expected requests per second, at least 1/60' }).default(5),
  IMAGE_HOST_CONCURRENCY: positiveInt('a number of downloads').default(4),
  IMAGE_ATTEMPTS: positiveInt('a number of tries').default(4),
  IMAGE_RETRY_DELAY_MS: positiveInt('milliseconds').default(10_000),
  // two pictures whose perceptual hashes (64 bits) differ in at most this many bits are the same picture
  IMAGE_SIMILAR_BITS: z.coerce.number({ message: 'expected a number of bits from 0 to 20' }).int()
    .min(0, { message: 'expected a number of bits from 0 to 20' }).max(20, { message: 'expected a number of bits from 0 to 20' }).default(6),
  // the stored copies' address prefix: this server's /images route by default, or a CDN / the bucket's own URL
  IMAGE_PUBLIC_URL: z.string().default('/images').refine((value) => /^\/[A-Za-z0-9._~/-]*$/.test(value) || /^https?:\/\/[^\s?#]+$/.test(value), {
    message: 'expected a path such as /images or a URL such as https://cdn.example.org/images',
  }).transform((value) => value.replace(/\/+$/, '')),
  COOKIE_SECURE: z
    .enum(['true', 'false'], { message: 'expected true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  // the time zone named schedules (daily at 03:00…) and cron patterns of configs are read in
  SCHEDULE_TIMEZONE: z.string().refine((zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, { message: 'expected an IANA time zone such as UTC or America/Halifax' }).default('UTC'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // How long a worker's hold on a job lasts unrenewed, and how often workers look for jobs whose hold
  // lapsed (a killed worker): a stalled job runs again after about lock + 2 × interval. BullMQ's
  // defaults; tests shorten both. Too short a lock lets a busy but live worker's job run twice.
  WORKER_LOCK_DURATION_MS: positiveInt('milliseconds, at least 1000').min(1000, { message: 'expected milliseconds, at least 1000' }).default(30_000),
  WORKER_STALLED_INTERVAL_MS: positiveInt('milliseconds, at least 500').min(500, { message: 'expected milliseconds, at least 500' }).default(30_000),
  // How long a stopping process (SIGTERM/SIGINT) waits for its active jobs and HTTP requests. A job
  // still running then is left to stalled-job recovery: its lock lapses and another worker takes it.
  WORKER_SHUTDOWN_GRACE_MS: positiveInt('milliseconds').default(30_000),
  // The port of a worker process's own /healthz, /readyz and /metrics (src/worker-http.ts); unset: none
  // (npm start serves them on PORT; several `npm run worker` on one machine would share a default).
  // 0 picks a free port, as PORT=0 does. docker-compose sets 9464 on every worker service.
  WORKER_METRICS_PORT: z.coerce.number({ message: 'expected a port number' }).int({ message: 'expected a port number' })
    .min(0, { message: 'expected a port number' }).max(65535, { message: 'expected a port number' }).optional(),
  // The thresholds of ops/prometheus/alerts.yml. The server's /metrics exposes them as
  // pipeline_alert_threshold{alert=...} and the rules compare against that, so ops change a threshold
  // here, for every rule and dashboard at once, instead of editing the rules file.
  ALERT_ERROR_RATIO: ratio().default(0.1),
  ALERT_DUPLICATE_RATIO: ratio().default(0.1),
  ALERT_QUEUE_WAIT_MINUTES: z.coerce.number({ message: 'expected minutes' }).positive({ message: 'expected minutes' }).default(15),
  ALERT_RUN_WAIT_DAYS: z.coerce.number({ message: 'expected days' }).positive({ message: 'expected days' }).default(3),
});

export type Settings = z.infer<typeof settingsSchema>;

/** One size an image is made in: its name (in the stored file's name) and its long side in pixels. */
export interface ImageVariantSpec {
  name: string;
  longSide: number;
}

/** "large:1600,medium:800,thumb:320" → the sizes; or what is wrong with the text. */
export function parseImageVariants(text: string): ImageVariantSpec[] | string {
  const expected = 'expected name:pixels pairs, comma-separated, e.g. large:1600,medium:800,thumb:320';
  const variants: ImageVariantSpec[] = [];
  for (const part of text.split(',').map((item) => item.trim()).filter(Boolean)) {
    const match = /^([a-z][a-z0-9]{0,15}):(\d{1,5})$/.exec(part);
    if (!match) return `${expected} ("${part.slice(0, 40)}" is not one)`;
    const [, name, pixels] = match;
    if (name === 'canonical') return `${expected} ("canonical" is the stored original's name)`;
    if (variants.some((variant) => variant.name === name)) return `${expected} ("${name}" is given twice)`;
    if (Number(pixels) < 16 || Number(pixels) > 10_000) return `${expected} (${name}: the long side must be 16 to 10000 pixels)`;
    variants.push({ name: name!, longSide: Number(pixels) });
  }
  return variants;
}

/** The API read pool's share of DB_POOL_SIZE: half, rounded down (so at least 1). */
export const apiReadPoolSize = (dbPoolSize: number) => Math.floor(dbPoolSize / 2);

export class SettingsError extends Error {}

/** Reads and checks the settings; throws a SettingsError naming the first wrong variable. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = settingsSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0]);
  // a secret's value is never echoed: the line goes to logs
  const secret = /KEY|PASSWORD|SECRET|TOKEN/.test(name);
  const got = env[name] === undefined ? '' : secret ? ` (got ${env[name]!.length} characters)` : ` (got ${JSON.stringify(env[name])})`;
  throw new SettingsError(`Setting ${name} is wrong: ${issue.message}${got}`);
}

/** For entry points: the settings, or one line on stderr and exit code 2. */
export function loadSettingsOrExit(env: NodeJS.ProcessEnv = process.env): Settings {
  try {
    return loadSettings(env);
  } catch (error) {
    if (error instanceof SettingsError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

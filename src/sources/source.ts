// What every source is to the import step: an async iterable of raw records, read a page or a chunk
// at a time so a source of any size goes through in the same memory. Each source type lives in its
// own module of this folder; ./index.ts picks one by the config's source_type.
import type { Readable } from 'node:stream';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import type { ResolvedConfig } from '../domain/config-params';
import type { HttpClient } from '../http/client';

/** One record as the source gave it: flat for a CSV or a sheet, nested for JSON (map_fields reads it by dotted paths). */
export interface SourceRecord {
  /** Where it is in the source, for error messages: a file's line or row, or a fetched record's position. */
  line: number;
  fields: Record<string, unknown>;
}

/** A record the source could not read: logged to job_errors, the rest goes on. */
export interface SourceProblem {
  line: number | null;
  reason: string;
}
export type ProblemSink = (problem: SourceProblem) => void | Promise<void>;

export interface OpenedSource {
  /**
   * The fields every record has, in the source's order (a CSV's header, a sheet's first row), checked
   * against map_fields before a record is read; null where records differ (JSON), checked as they come.
   */
  fields: string[] | null;
  /** A file's own way of being read (the CSV's delimiter and encoding), shown with a preview. */
  format?: Record<string, string>;
  records: AsyncIterable<SourceRecord>;
  /** The fields this type of source is known to name (WordPress's title.rendered), over a mapping guessed from field names. */
  mapping?: Record<string, string>;
  /**
   * The fields a mapping may be guessed from by their names: a CMS's own fields (WordPress's `type`,
   * `tags` as term ids) say nothing of the place, only its custom fields (acf.*, field_*) do.
   */
  guessFrom?: (path: string) => boolean;
}

/** The source cannot be read at all (an empty file, a site that answers HTML): the run fails with this message. */
export class SourceError extends Error {}

/** What a source may use: the run's resolved config, the upload of a file source, the product's HTTP client. */
export interface SourceInput {
  config: ResolvedConfig;
  /** The run's uploaded file (file sources only). */
  upload: Readable | null;
  http: HttpClient;
  /** The config's credentials (an API key, an application password), decrypted for this run only: never log or store them. */
  credentials: Readonly<Record<string, string>>;
  /** The fleet-wide limiter's connection, for per-host request rates that replicas share. */
  redis: Redis;
  queuePrefix: string;
  log: Logger;
  signal?: AbortSignal;
}

export type SourceOpener = (input: SourceInput, onProblem: ProblemSink) => Promise<OpenedSource>;

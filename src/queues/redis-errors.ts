// Redis errors as log lines ops can read: JSON with the queue and connection they concern, and one
// line per distinct error of an outage rather than one per reconnect attempt (ioredis retries every
// couple of seconds on every connection), then one line saying Redis is back and for how long it was not.
import type { Redis } from 'ioredis';
import type { Logger } from '../logger';

interface ErrorSource {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export class RedisErrorLog {
  private outageSince: number | null = null;
  private readonly seen = new Set<string>();
  private repeats = 0;

  constructor(private readonly log: Logger, private readonly connection: Redis, private readonly fields: Record<string, unknown>) {
    connection.on('ready', () => this.recovered());
  }

  /** Every 'error' of this emitter (a Queue, a Worker, the connection itself) goes through here. */
  listen(source: ErrorSource, fields: Record<string, unknown> = {}, msg = 'redis error'): void {
    source.on('error', (error) => this.report(error, fields, msg));
  }

  private report(error: Error, fields: Record<string, unknown>, msg: string): void {
    const line = { ...this.fields, ...fields, err: error.message, code: (error as NodeJS.ErrnoException).code };
    // with the connection up, every error is news (a lost job lock, a script error)
    if (this.connection.status === 'ready' && this.outageSince === null) {
      this.log.error(line, msg);
      return;
    }
    this.outageSince ??= Date.now();
    const key = `${JSON.stringify(fields)} ${error.message}`;
    if (this.seen.has(key)) {
      this.repeats += 1;
      return;
    }
    this.seen.add(key);
    this.log.error(line, msg);
  }

  private recovered(): void {
    if (this.outageSince === null) return;
    this.log.warn({ ...this.fields, downMs: Date.now() - this.outageSince, repeatedErrors: this.repeats }, 'redis connection back');
    this.outageSince = null;
    this.seen.clear();
    this.repeats = 0;
  }
}

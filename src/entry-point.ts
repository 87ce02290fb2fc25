// What every process entry point shares: a graceful stop on SIGTERM/SIGINT, and a failed start is one
// line on stderr and exit code 1.
import type { Logger } from './logger';

// Ctrl-C in a terminal reaches the process twice at once: from the terminal, and forwarded by npm
// (which relays SIGINT and SIGTERM to its script). A repeat this soon is the same request.
const sameRequestWithinMs = 1000;
// Closing Redis and the pool after the grace should take moments; past this, something hangs.
const closeTimeoutMs = 10_000;

export interface GracefulStop {
  graceMs: number;
  /** Stops taking work, lets what is in flight finish (within graceMs) and closes connections. */
  stop(): Promise<void>;
  /** What a forced exit leaves behind, for its log line (e.g. the jobs still running). */
  leftBehind?(): Record<string, unknown>;
}

/**
 * On SIGTERM or SIGINT: stop gracefully and exit 0. A second signal during the stop exits at once
 * (code 1), leaving running jobs to BullMQ's stalled-job recovery.
 */
export function stopOnSignal(log: Logger, { graceMs, stop, leftBehind }: GracefulStop): void {
  let firstAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstAt) {
      if (Date.now() - firstAt < sameRequestWithinMs) return;
      log.warn({ signal, ...leftBehind?.() }, `${signal} again: exiting now without waiting`);
      process.exit(1);
    }
    firstAt = Date.now();
    log.info({ signal, graceMs }, `${signal}: shutting down (no new jobs or connections; up to ${graceMs} ms for those in flight; a second signal exits at once)`);
    setTimeout(() => {
      log.error({ ...leftBehind?.() }, `shutdown did not finish ${closeTimeoutMs} ms after its grace: exiting`);
      process.exit(1);
    }, graceMs + closeTimeoutMs).unref();
    stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error instanceof Error ? error.message : String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

export function runEntryPoint(main: () => Promise<void>): void {
  main().catch((error) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
}

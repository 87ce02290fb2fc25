// How hard the scraper may press a host: at most `concurrency` requests in flight at once from this
// process (HostSlots), and at most `perSecond` a second from the whole fleet (the RateLimiter in
// Redis, keyed by host, so replicas scraping the same site share one limit).
import type { RateLimiter } from '../queues/rate-limiter';

interface Waiter {
  limit: number;
  wake: () => void;
}

interface HostState {
  inFlight: number;
  waiting: Waiter[];
}

/** Requests in flight per host within this process, each caller with its own limit. */
export class HostSlots {
  private readonly hosts = new Map<string, HostState>();

  /** Waits until fewer than `limit` requests to `host` are in flight; the slot is freed by calling what it returns. */
  async take(host: string, limit: number, signal?: AbortSignal): Promise<() => void> {
    const state = this.hosts.get(host) ?? { inFlight: 0, waiting: [] };
    this.hosts.set(host, state);
    // first come first served: a newcomer does not pass those already waiting
    if (state.inFlight < limit && !state.waiting.length) state.inFlight += 1;
    else await this.wait(host, state, limit, signal); // the slot is counted by whoever wakes us
    let freed = false;
    return () => {
      if (freed) return;
      freed = true;
      state.inFlight -= 1;
      this.wakeWaiting(host, state);
    };
  }

  /** Requests to `host` in flight now (for tests and logs). */
  inFlight(host: string): number {
    return this.hosts.get(host)?.inFlight ?? 0;
  }

  private wait(host: string, state: HostState, limit: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
      const onAbort = () => {
        state.waiting = state.waiting.filter((other) => other !== waiter);
        this.wakeWaiting(host, state);
        reject(signal!.reason ?? new Error('aborted'));
      };
      const waiter: Waiter = {
        limit,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      state.waiting.push(waiter);
    });
  }

  /** Hands freed slots to those waiting, in order, each counted before it runs so one slot is never given twice. */
  private wakeWaiting(host: string, state: HostState): void {
    for (let next = state.waiting[0]; next && state.inFlight < next.limit; next = state.waiting[0]) {
      state.waiting.shift();
      state.inFlight += 1;
      next.wake();
    }
    if (!state.waiting.length && state.inFlight === 0) this.hosts.delete(host);
  }
}

/** One process's slots: every scrape in this worker shares them. */
export const processSlots = new HostSlots();

export interface HostLimits {
  perSecond: number;
  concurrency: number;
}

export class HostLimiter {
  constructor(private readonly rate: RateLimiter, private readonly slots: HostSlots = processSlots) {}

  /** Runs `request` once this process has a slot for the host and the fleet a grant of its rate. */
  async run<T>(host: string, limits: HostLimits, request: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.slots.take(host, limits.concurrency, signal);
    try {
      // the grant last, just before the request: a grant held while waiting for a slot would let
      // the request reach the host later, bunched with the grants after it
      await this.rate.waitForGrant(`website:${host}`, limits.perSecond, signal);
      return await request();
    } finally {
      release();
    }
  }
}

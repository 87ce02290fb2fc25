// Queue `geocode`, one job per distinct address of a run (children of its stage job): claim the
// address's cache entry, take a slot of the endpoint's fleet-wide rate, call the provider once, write
// the answer to the cache. A failure is the address's, never the run's: its last try marks the entry
// failed and the stage marks its rows for review.
import type { PipelineContext } from '../context';
import { cacheStatus, claimAddress, failAddress, releaseClaim, resolveAddress } from '../db/geocode-cache';
import { recordProviderUsage } from '../db/provider-usage';
import { geocoderFor, type GeocodeEndpoint } from '../geocode/geocoder';
import { GeocodeCallFailed, networkGeocoder } from '../geocode/providers';
import { countProviderCall, type ProviderCallOutcome } from '../metrics';
import { RateLimiter } from '../queues/rate-limiter';
import { loadRunStep, RateLimited, RetryLater, type Processor } from './processor';

export const geocodeProcessor: Processor<'geocode'> = {
  queue: 'geocode',
  async process(job, ctx) {
    const { runId, addressKey } = job.data;
    const step = await loadRunStep(ctx, runId, ['running']);
    if (!step) return 'skipped';
    const choice = geocoderFor(ctx.settings, step.config.geocode);
    if (choice.kind !== 'network') return 'skipped';
    const { provider, endpoint } = choice;
    // answered meanwhile (another run's job, an earlier try): no slot spent, no call
    if ((await cacheStatus(ctx.db, provider, addressKey)) !== 'pending') return 'skipped';
    const claim = await claimAddress(ctx.db, provider, addressKey, job.id, ctx.settings.GEOCODE_TIMEOUT_MS + 5_000);
    if (claim.state === 'held') throw new RetryLater(claim.retryInMs, `address ${addressKey} is being looked up by another job`);
    if (claim.state !== 'claimed') return 'skipped';

    // the endpoint refused a call it would refuse for every address (a wrong key, a wrong URL): the
    // rest of the run's addresses fail with that reason, without being sent, until the refusal lapses
    const refusal = await ctx.redis.get(refusalKey(ctx, endpoint));
    if (refusal) {
      await failAddress(ctx.db, provider, addressKey, `not sent: ${refusal}`);
      return 'success';
    }

    const slot = await new RateLimiter(ctx.redis, ctx.settings.QUEUE_PREFIX).acquire(endpoint.rateKey, endpoint.ratePerSec);
    if (!slot.granted) {
      await releaseClaim(ctx.db, provider, addressKey, job.id, 'waiting for a rate slot');
      throw new RateLimited(slot.retryAfterMs, `${provider} at ${endpoint.baseUrl}`);
    }

    const usage = (outcome: ProviderCallOutcome) => recordCall(ctx, endpoint, step.run.dmo_id, outcome);
    try {
      const answer = await networkGeocoder(endpoint, ctx.settings).geocode(claim.address);
      await resolveAddress(ctx.db, provider, addressKey, answer);
      await usage(answer.status === 'found' ? 'ok' : 'not_found');
      return 'success';
    } catch (error) {
      const failure = error instanceof GeocodeCallFailed ? error : null;
      await usage(failure?.kind === 'quota' ? 'quota_exceeded' : 'error');
      const message = error instanceof Error ? error.message : String(error);
      // a refusal that no retry changes (a bad key, a bad request), or the last try: the address fails
      if (failure?.kind === 'refused') await ctx.redis.set(refusalKey(ctx, endpoint), message, 'PX', refusalMs);
      if (failure?.kind === 'refused' || job.isFinalAttempt) {
        await failAddress(ctx.db, provider, addressKey, `${message} (try ${job.attempt})`);
        ctx.log.warn({ provider, addressKey, err: message }, 'geocoding: the address is marked failed');
        return 'success';
      }
      await releaseClaim(ctx.db, provider, addressKey, job.id, message);
      throw error;
    }
  },
};

/** How long an endpoint's refusal (a 4xx other than 429) stands before a call is tried again. */
const refusalMs = 5 * 60_000;
const refusalKey = (ctx: PipelineContext, endpoint: GeocodeEndpoint) => `${ctx.settings.QUEUE_PREFIX}:geocode-refused:${endpoint.rateKey}`;

async function recordCall(ctx: PipelineContext, endpoint: GeocodeEndpoint, dmoId: number, outcome: ProviderCallOutcome): Promise<void> {
  countProviderCall({ provider: endpoint.provider, endpoint: endpoint.baseUrl, outcome });
  await recordProviderUsage(ctx.db, { provider: endpoint.provider, endpoint: endpoint.baseUrl, dmoId, outcome });
}

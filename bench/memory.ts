// Peak memory of this process while a run is in flight, sampled: RSS is what the OS charges, heap
// is what a buffered-array bug would show first.
import v8 from 'node:v8';
import vm from 'node:vm';

export interface MemoryPeak {
  startRss: number;
  peakRss: number;
  peakHeap: number;
}

// `npm run bench` is plain tsx (no --expose-gc), so gc is switched on here: each run then starts from
// a collected heap and the 10k and 100k peaks are comparable.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

export class MemorySampler {
  private readonly peak: MemoryPeak;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 25) {
    const now = process.memoryUsage();
    this.peak = { startRss: now.rss, peakRss: now.rss, peakHeap: now.heapUsed };
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const now = process.memoryUsage();
    this.peak.peakRss = Math.max(this.peak.peakRss, now.rss);
    this.peak.peakHeap = Math.max(this.peak.peakHeap, now.heapUsed);
  }

  stop(): MemoryPeak {
    clearInterval(this.timer);
    this.sample();
    return { ...this.peak };
  }
}

/** Runs fn from a collected heap and returns its value with the process's peak memory meanwhile. */
export async function measurePeakMemory<T>(fn: () => Promise<T>): Promise<{ value: T; memory: MemoryPeak }> {
  gc();
  const sampler = new MemorySampler();
  try {
    return { value: await fn(), memory: sampler.stop() };
  } finally {
    sampler.stop();
  }
}

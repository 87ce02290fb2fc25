// How many pixels this process decodes at once: a picture waits until the pictures being made leave
// room for it, first come first served. A worker running several image jobs thus holds at most one
// picture of the largest size taken in memory (a 50-megapixel WebP re-encoded needs ~250 MB), while
// ordinary photos go through side by side.

interface Waiter {
  pixels: number;
  start: () => void;
}

export class PixelBudget {
  private inUse = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly budget: number) {}

  /** Runs `make` once `pixels` fit in the budget (a picture larger than the whole budget runs alone). */
  async run<T>(pixels: number, make: () => Promise<T>): Promise<T> {
    const share = Math.min(pixels, this.budget);
    if (this.waiting.length || this.inUse + share > this.budget) {
      await new Promise<void>((start) => this.waiting.push({ pixels: share, start }));
    } else this.inUse += share;
    try {
      return await make();
    } finally {
      this.inUse -= share;
      this.startWaiting();
    }
  }

  /** Pixels being decoded now (for tests and logs). */
  get pixelsInUse(): number {
    return this.inUse;
  }

  private startWaiting(): void {
    for (let next = this.waiting[0]; next && this.inUse + next.pixels <= this.budget; next = this.waiting[0]) {
      this.waiting.shift();
      this.inUse += next.pixels;
      next.start();
    }
  }
}

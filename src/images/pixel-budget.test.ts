import { PixelBudget } from './pixel-budget';

const tick = () => new Promise((resolve) => setImmediate(resolve));

it('runs pictures side by side while they fit, and holds the next until room is made, in order', async () => {
  const budget = new PixelBudget(10);
  const started: string[] = [];
  const finish: Record<string, () => void> = {};
  const picture = (name: string, pixels: number) => budget.run(pixels, () => {
    started.push(name);
    return new Promise<void>((resolve) => (finish[name] = resolve));
  });
  const runs = [picture('a', 4), picture('b', 4), picture('c', 8), picture('d', 1)];
  await tick();
  expect(started).toEqual(['a', 'b']); // d would fit, but does not pass c
  expect(budget.pixelsInUse).toBe(8);
  finish.a!();
  await tick();
  expect(started).toEqual(['a', 'b']);
  finish.b!();
  await tick();
  expect(started).toEqual(['a', 'b', 'c', 'd']); // 8 + 1 fit
  expect(budget.pixelsInUse).toBe(9);
  finish.c!();
  finish.d!();
  await Promise.all(runs);
  expect(budget.pixelsInUse).toBe(0);
});

it('a picture larger than the whole budget runs alone, and a failure frees its share', async () => {
  const budget = new PixelBudget(10);
  await expect(budget.run(50, async () => {
    expect(budget.pixelsInUse).toBe(10);
    throw new Error('broken file');
  })).rejects.toThrow('broken file');
  expect(budget.pixelsInUse).toBe(0);
});

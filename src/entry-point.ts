// What every process entry point shares: stop cleanly on SIGTERM/SIGINT, and a failed start is one
// line on stderr and exit code 1.
export function stopOnSignal(stop: () => Promise<unknown>): void {
  const shutdown = async () => {
    await stop();
    process.exit(0);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

export function runEntryPoint(main: () => Promise<void>): void {
  main().catch((error) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
}

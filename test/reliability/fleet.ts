// A fleet of real worker processes, one per group of queues, so that the process holding a step's
// jobs is known: killing a step's worker kills nothing else. A killed worker is replaced at once, as
// an orchestrator would; the replacement takes the killed jobs back once their locks lapse.
import { startWorkerProcess, stopProcess, type Spawned } from '../harness/spawn';
import type { QueueName } from '../../src/queues/names';

export interface FleetSettings {
  DATABASE_URL: string;
  REDIS_URL: string;
  QUEUE_PREFIX: string;
  STORAGE_URL: string;
}

export interface FleetGroup {
  queues: QueueName[];
  concurrency: number;
}

export class WorkerFleet {
  private readonly current = new Map<string, Promise<Spawned>>();
  /** every process ever started, for the cleanup */
  private readonly all: Spawned[] = [];
  kills = 0;

  constructor(
    private readonly settings: FleetSettings,
    private readonly groups: Record<string, FleetGroup>,
    private readonly env: Record<string, string> = {},
  ) {}

  /** Starts one process per group and waits until each says it started. */
  async start(): Promise<void> {
    for (const name of Object.keys(this.groups)) this.current.set(name, this.spawn(name));
    await Promise.all(this.current.values());
  }

  private spawn(name: string): Promise<Spawned> {
    const group = this.groups[name]!;
    return startWorkerProcess(this.settings, group.queues, {
      concurrency: group.concurrency, logLevel: 'info', env: this.env, track: (worker) => this.all.push(worker),
    });
  }

  groupOf(queue: QueueName): string {
    const name = Object.keys(this.groups).find((group) => this.groups[group]!.queues.includes(queue));
    if (!name) throw new Error(`no worker group runs queue ${queue}`);
    return name;
  }

  /** SIGKILL the group's process (once it is up) and start its replacement; resolves once the old one is dead. */
  async killAndReplace(name: string): Promise<Spawned> {
    const victim = await this.current.get(name)!;
    await victim.kill('SIGKILL');
    if (victim.child.signalCode !== 'SIGKILL') throw new Error(`worker ${victim.child.pid} (${name}) was not killed: exit ${victim.child.exitCode}`);
    this.kills += 1;
    const replacement = this.spawn(name);
    replacement.catch(() => undefined); // awaited by the next kill or by ready()
    this.current.set(name, replacement);
    return victim;
  }

  /** Every group's current process is up. */
  async ready(): Promise<void> {
    await Promise.all(this.current.values());
  }

  /** What the fleet's processes logged at warn level and above (a failure's report). */
  troubles(limit = 30): string[] {
    return this.all.flatMap((worker) => worker.output().split('\n').filter((line) => /"level":(4|5|6)0/.test(line)).map((line) => `${worker.child.pid}: ${line.slice(0, 400)}`)).slice(-limit);
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map(stopProcess));
  }
}

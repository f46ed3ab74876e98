/**
 * Pod addresses: each pod gets a loopback address of its own in 127.<b>.0.0/16 (Linux routes all of
 * 127.0.0.0/8 to the loopback interface), so pods listen on their declared containerPort side by
 * side, as in a pod network. `<b>` is chosen at random per agent (two clusters on one machine do
 * not share addresses), and an address is checked free on a probe port before it is handed out.
 */
import { createServer } from 'node:net';

function bindable(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(0, ip, () => server.close(() => resolve(true)));
  });
}

/** A pool of pod addresses. */
export class PodIps {
  private next = 1;
  private readonly free: string[] = [];

  private constructor(private readonly prefix: string) {}

  /** A pool in a random 127.<b>.0.0/16 that the machine accepts. */
  static async create(): Promise<PodIps> {
    const b = 64 + Math.floor(Math.random() * 128);
    const prefix = `127.${b}`;
    if (!(await bindable(`${prefix}.0.1`))) {
      throw new Error(
        `cannot listen on ${prefix}.0.1: loopback addresses beyond 127.0.0.1 are needed for pods`,
      );
    }
    return new PodIps(prefix);
  }

  /** An address for a new pod. */
  take(): string {
    const reused = this.free.shift();
    if (reused) return reused;
    const n = this.next++;
    return `${this.prefix}.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  }

  /** Returns a gone pod's address to the pool. */
  give(ip: string): void {
    this.free.push(ip);
  }
}

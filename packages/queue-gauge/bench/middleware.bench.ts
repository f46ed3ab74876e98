// Per-request cost of @mlscale/metrics + @mlscale/queue-gauge on a trivial Hono route, side by side
// with the bare route and with @hono/prometheus, in one run. Two measurements:
//  1. in process: app.fetch() in a loop, rounds interleaved between variants (no network noise);
//  2. over HTTP: each variant served by its own process, loaded by autocannon from this one.
// Prints medians and the ratios to the bare route. Usage: pnpm --filter @mlscale/queue-gauge bench
// (ROUNDS, SECONDS and CONNECTIONS override the defaults).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { buildApp, type Variant, variants } from './apps.js';

const rounds = Number(process.env.ROUNDS ?? 5);
const seconds = Number(process.env.SECONDS ?? 3);
const connections = Number(process.env.CONNECTIONS ?? 50);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

async function inProcess(): Promise<Record<Variant, number[]>> {
  const apps = Object.fromEntries(variants.map((v) => [v, buildApp(v)])) as Record<
    Variant,
    ReturnType<typeof buildApp>
  >;
  const nsPerRequest = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<
    Variant,
    number[]
  >;
  const request = new Request('http://localhost/hello');
  const batch = 20_000;
  for (const variant of variants)
    for (let i = 0; i < batch; i++) await apps[variant].fetch(request);
  for (let round = 0; round < rounds * 2; round++) {
    for (const variant of variants) {
      const app = apps[variant];
      const start = process.hrtime.bigint();
      for (let i = 0; i < batch; i++) await app.fetch(request);
      nsPerRequest[variant].push(Number(process.hrtime.bigint() - start) / batch);
    }
  }
  return nsPerRequest;
}

async function overHttp(): Promise<Record<Variant, number[]>> {
  const servePath = fileURLToPath(new URL('./serve.ts', import.meta.url));
  const rps = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<
    Variant,
    number[]
  >;
  const servers = await Promise.all(
    variants.map(async (variant, i) => {
      const port = 19300 + i + Math.floor(Math.random() * 500) * 4;
      const child = fork(servePath, [variant, String(port)], { execArgv: ['--import', 'tsx'] });
      await new Promise((resolve, reject) => {
        child.once('message', resolve);
        child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
      });
      return { variant, port, child };
    }),
  );
  try {
    for (let round = 0; round < rounds; round++) {
      for (const { variant, port } of servers) {
        const result = await autocannon({
          url: `http://127.0.0.1:${port}/hello`,
          connections,
          duration: seconds,
        });
        rps[variant].push(result.requests.average);
      }
    }
  } finally {
    for (const { child } of servers) child.kill('SIGTERM');
  }
  return rps;
}

function table(
  title: string,
  unit: string,
  values: Record<Variant, number[]>,
  higherIsBetter: boolean,
) {
  const base = median(values.bare);
  console.log(`\n${title}`);
  console.log(
    `${'variant'.padEnd(18)}${`median ${unit}`.padStart(16)}${'vs bare'.padStart(10)}${'throughput lost'.padStart(18)}`,
  );
  for (const variant of variants) {
    const m = median(values[variant]);
    const ratio = m / base;
    const lost = higherIsBetter ? 1 - ratio : 1 - 1 / ratio;
    console.log(
      `${variant.padEnd(18)}${m.toFixed(unit === 'ns/req' ? 0 : 0).padStart(16)}${ratio.toFixed(3).padStart(10)}${`${(lost * 100).toFixed(1)} %`.padStart(18)}`,
    );
  }
}

console.log(`node ${process.version}, ${rounds} rounds, interleaved`);
table('In process (app.fetch loop, 20k requests a round)', 'ns/req', await inProcess(), false);
table(
  `Over HTTP (@hono/node-server, autocannon -c ${connections}, ${seconds} s a round)`,
  'req/s',
  await overHttp(),
  true,
);

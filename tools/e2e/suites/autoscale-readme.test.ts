/**
 * packages/autoscale/README.md as a new user meets it: the package packed (`pnpm pack`), installed
 * with npm into an empty folder, then every ```sh block of the README run there as written, each
 * as one bash script (`set -euo pipefail`), and each must exit 0. Three substitutions, and only
 * these: `npm install @mlscale/autoscale` installs the packed tarballs (it and the workspace packages it depends on) instead of the registry's;
 * a block that talks to a Prometheus at http://127.0.0.1:9090 gets a real one (with two model
 * servers scraped as pods model-server-0 and -1 of namespace default) on a free port instead; and
 * a block that talks to a pod at http://127.0.0.1:8080 (`mlscale calibrate`) gets the model server
 * the README tells the reader to start there, on the emulated device (EMULATED_DEVICE_MS=40,
 * BATCH_MAX_SIZE=1, WORKERS=1: a little under 25 req/s whatever this machine's CPUs), on a free port.
 * The profile calibrate writes must be valid and measure that pod's capacity.
 *
 * Run with `pnpm test:e2e` from the repository root (needs npm, Prometheus and the built packages).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAPACITY_PROFILE_SCHEMA, loadCapacityProfile } from '@mlscale/autoscale';
import {
  REPO_ROOT,
  type Running,
  type RunningPrometheus,
  startLoad,
  startModelServer,
  startPrometheus,
  waitFor,
} from '@mlscale/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PACKAGE = join(REPO_ROOT, 'packages/autoscale');
const README = readFileSync(join(PACKAGE, 'README.md'), 'utf8');
const PROMETHEUS_URL = 'http://127.0.0.1:9090';
const POD_URL = 'http://127.0.0.1:8080';
/** The pod the README tells the reader to start for `mlscale calibrate`, as the README says it. */
const EMULATED_POD = { EMULATED_DEVICE_MS: '40', BATCH_MAX_SIZE: '1', WORKERS: '1' };
/** What those settings imply the pod serves flat out: one request per 40 ms. */
const EMULATED_POD_RPS = 25;

/** The folders of the workspace packages a package depends on (`workspace:` ranges), transitively. */
function workspaceDependencies(dir: string, seen = new Set<string>()): string[] {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const [name, range] of Object.entries(manifest.dependencies ?? {})) {
    if (!range.startsWith('workspace:')) continue;
    const found = readdirSync(join(REPO_ROOT, 'packages'))
      .map((entry) => join(REPO_ROOT, 'packages', entry))
      .find((candidate) => {
        const file = join(candidate, 'package.json');
        return existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).name === name;
      });
    if (!found) throw new Error(`${name} (${range}) is not a package under packages/`);
    if (!seen.has(found)) {
      seen.add(found);
      workspaceDependencies(found, seen);
    }
  }
  return [...seen];
}

/** The ```sh blocks of a Markdown text, in order. */
function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

const blocks = shellBlocks(README);
const work = mkdtempSync(join(tmpdir(), 'mlscale-readme-'));
const app = join(work, 'app');
let tarball = '';
let prometheus: RunningPrometheus | undefined;
let pod: Running | undefined;
const servers: Running[] = [];

describe('packages/autoscale/README.md, run from an empty folder after npm install', () => {
  beforeAll(() => {
    mkdirSync(join(work, 'tarballs'));
    // The package and the workspace packages it depends on (@mlscale/hpa...), packed as the
    // registry would hold them: npm cannot fetch unpublished ones.
    for (const dir of [PACKAGE, ...workspaceDependencies(PACKAGE)]) {
      execFileSync('pnpm', ['pack', '--pack-destination', join(work, 'tarballs')], {
        cwd: dir,
        stdio: 'pipe',
      });
    }
    tarball = readdirSync(join(work, 'tarballs'))
      .map((file) => join(work, 'tarballs', file))
      .join(' ');
    mkdirSync(app);
    execFileSync('npm', ['init', '-y'], { cwd: app, stdio: 'pipe' });
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all([...servers, ...(pod ? [pod] : [])].map((s) => s.stop()));
    rmSync(work, { recursive: true, force: true });
  });

  it('has shell blocks to run, the install first', () => {
    expect(blocks.length).toBeGreaterThan(3);
    expect(blocks[0]).toContain('npm install @mlscale/autoscale');
  });

  it('tells the reader to start the pod this suite calibrates', () => {
    const env = Object.entries(EMULATED_POD).map(([name, value]) => `${name}=${value}`);
    const start = `${env.join(' ')} pnpm start`;
    expect(README.replace(/\s+/g, ' ').includes(start), `the README says: ${start}`).toBe(true);
    expect(blocks.some((block) => block.includes(`mlscale calibrate ${POD_URL}`))).toBe(true);
  });

  it.each(blocks.map((block, index) => [index + 1, block] as const))(
    'block %i runs as written',
    async (_index, block) => {
      let script = block.replace(
        'npm install @mlscale/autoscale',
        `npm install --no-audit --no-fund --loglevel=error ${tarball}`,
      );
      if (script.includes(PROMETHEUS_URL)) {
        prometheus ??= await livePrometheus();
        script = script.replaceAll(PROMETHEUS_URL, prometheus.url);
      }
      if (script.includes(POD_URL)) {
        pod ??= await startModelServer({ ...EMULATED_POD, ORT_INTRA_OP_THREADS: '1' });
        script = script.replaceAll(POD_URL, pod.url);
      }
      const result = spawnSync('bash', ['-c', `set -euo pipefail\n${script}`], {
        cwd: app,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(
        result.status,
        `${script}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
      ).toBe(0);
      if (script.includes('--svg sim.svg')) expect(existsSync(join(app, 'sim.svg'))).toBe(true);
      if (script.includes('mlscale check')) {
        expect(result.stdout).toMatch(/^(chain ok|no broken link \(\d+ of \d+ links skipped)/m);
        expect(result.stdout).not.toContain('BROKEN');
      }
      // Both pods found, both metrics read: `TARGETS` shows a number over the target for each,
      // never `<unknown>`. A number may be a bare `0`: the adapter truncates to milli-units, and
      // an idle pod's or a sub-millisecond mean latency is 0 there (a CI run read `0/200m`).
      if (script.includes('mlscale watch')) {
        expect(result.stdout).toMatch(/ \d+m?\/200m, \d+m?\/10 /);
        expect(result.stdout).not.toContain('<unknown>');
      }
      if (script.includes('mlscale calibrate')) expectCalibratedProfile(script);
    },
    180_000,
  );
});

/**
 * The profile a calibrate block wrote (`-o <file>`) is valid and measured the emulated pod: the
 * device it reports, a ramp that went past saturation, and a flat-out rate within ±25 % of what
 * the device settings imply (set by the emulated device, not by this machine's CPUs).
 */
function expectCalibratedProfile(script: string): void {
  const out = /(?:-o|--out) (\S+)/.exec(script)?.[1];
  expect(out, 'the calibrate block names its profile with -o').toBeDefined();
  const loaded = loadCapacityProfile(join(app, out ?? ''));
  if (!loaded.ok)
    throw new Error(`${out} is not a valid capacity profile: ${loaded.errors.join('; ')}`);
  const profile = loaded.value;
  console.log(
    `calibrated: ${profile.peakAchievedRps?.toFixed(1)} req/s flat out, ${profile.maxSustainableRps.toFixed(1)} sustained (the device implies ${EMULATED_POD_RPS})`,
  );
  expect(profile.schema).toBe(CAPACITY_PROFILE_SCHEMA);
  expect(profile.target.emulatedDevice).toEqual({
    batchMs: Number(EMULATED_POD.EMULATED_DEVICE_MS),
    rowMs: 0,
  });
  expect(profile.saturationRps).not.toBeNull();
  expect(profile.steps.at(-1)?.saturated).toBe(true);
  expect(profile.peakAchievedRps).toBeGreaterThan(EMULATED_POD_RPS * 0.75);
  expect(profile.peakAchievedRps).toBeLessThan(EMULATED_POD_RPS * 1.25);
}

/** A Prometheus scraping two model servers (pods model-server-0 and -1) under a light load. */
async function livePrometheus(): Promise<RunningPrometheus> {
  servers.push(
    ...(await Promise.all(
      [0, 1].map(() => startModelServer({ WORKERS: '1', ORT_INTRA_OP_THREADS: '1' })),
    )),
  );
  const started = await startPrometheus({
    targets: servers.map((server, i) => ({
      address: new URL(server.url).host,
      labels: { namespace: 'default', pod: `model-server-${i}` },
    })),
  });
  await started.waitForTargets();
  const load = startLoad(
    servers.map((s) => s.url),
    2,
  );
  // Two scrapes of the latency series of both pods, so that rate() has an answer.
  await waitFor('the latency rate of both pods in Prometheus', async () => {
    const r = await started.query(
      'rate(http_request_duration_seconds_count{route="/predict"}[1m]) > 0',
    );
    return (r.data?.result.length ?? 0) === 2;
  });
  await load.stop();
  return started;
}

/** Running helm and mlscale on the chart, and reading what they render. */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

/** charts/ */
export const chartsDir = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The chart. */
export const chartDir = join(chartsDir, 'model-server');
/** The repository root. */
export const repoDir = join(chartsDir, '..');

// biome-ignore lint/suspicious/noExplicitAny: walking rendered manifests
export type Doc = Record<string, any>;

/** What a command printed, and how it ended. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; resolves its output and exit code (never throws on a non-zero exit). */
export async function runCommand(
  file: string,
  args: readonly string[],
  options: { input?: string; cwd?: string } = {},
): Promise<Ran> {
  const child = run(file, args, { cwd: options.cwd ?? repoDir, maxBuffer: 64 * 1024 * 1024 });
  if (options.input !== undefined) child.child.stdin?.end(options.input);
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof code === 'number' ? code : -1,
      stdout: stdout ?? '',
      stderr: stderr ?? String(error),
    };
  }
}

/** Runs the helm global-setup found or built. */
export function helm(args: readonly string[]): Promise<Ran> {
  return runCommand(inject('helm'), args);
}

/** `helm template <release> charts/model-server <args>`; throws with helm's error when it fails. */
export async function template(
  args: readonly string[] = [],
  release = 'model-server',
): Promise<string> {
  const ran = await helm(['template', release, chartDir, ...args]);
  if (ran.code !== 0) throw new Error(`helm template ${args.join(' ')}: ${ran.stderr}`);
  return ran.stdout;
}

/** Parses every document of a YAML text (the empty ones dropped), failing on a YAML error. */
export function parseDocs(text: string): Doc[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(String(doc.errors[0]?.message));
    const value = doc.toJS() as Doc | null;
    return value === null ? [] : [value];
  });
}

/** The one object of a kind in rendered manifests. */
export function only(docs: readonly Doc[], kind: string): Doc {
  const found = docs.filter((doc) => doc.kind === kind);
  if (found.length !== 1) throw new Error(`${found.length} ${kind} rendered, expected 1`);
  return found[0] as Doc;
}

/** The documented values examples, charts/model-server/examples/*.yaml, by file name. */
export function examples(): string[] {
  return readdirSync(join(chartDir, 'examples'))
    .filter((name) => name.endsWith('.yaml'))
    .sort();
}

/** The mlscale CLI built from packages/autoscale (pnpm build). */
export function mlscaleCli(): string {
  const cli = join(repoDir, 'packages/autoscale/dist/cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`pnpm build\` first`);
  return cli;
}

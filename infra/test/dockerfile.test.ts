import { describe, expect, it } from 'vitest';
import { readInfra } from './helpers.js';

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

/** Splits a Dockerfile into instructions, joining continuation lines (a hadolint-like reader). */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending === '') start = index + 1;
    pending += `${line.replace(/\\$/, '')} `;
    if (line.endsWith('\\')) return;
    const [keyword = '', ...rest] = pending.trim().split(/\s+/);
    out.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: start });
    pending = '';
  });
  return out;
}

const dockerfile = readInfra('Dockerfile');
const all = instructions(dockerfile);
const stages = all.filter((i) => i.keyword === 'FROM');
const finalStage = all.slice(all.indexOf(stages.at(-1) as Instruction));

describe('infra/Dockerfile', () => {
  it('is multi-stage and ends in the runtime chosen by GPU', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(stages.at(-1)?.args).toBe(`runtime-gpu$\{GPU} AS runtime`);
    expect(all.find((i) => i.keyword === 'ARG' && i.args === 'GPU=0')).toBeDefined();
  });

  it('deploys the app alone with pnpm deploy, production dependencies only', () => {
    expect(dockerfile).toMatch(/pnpm deploy --filter @mlscale\/model-server --prod \/app/);
    expect(dockerfile).toMatch(/pnpm install --frozen-lockfile/);
    expect(finalStage.find((i) => i.keyword === 'COPY')?.args).toBe('--from=build /app /app');
  });

  it('installs the CUDA binaries only when GPU=1', () => {
    expect(dockerfile).toMatch(
      /if \[ "\$GPU" = "1" \]; then \\\n[^\n]*x64 only[^\n]*\\\n\s+cd "\$ort" && ONNXRUNTIME_NODE_INSTALL=cuda12 node script\/install\.js; \\\n\s+fi;/,
    );
  });

  it('runs as a non-root user in the final stage', () => {
    const user = finalStage.filter((i) => i.keyword === 'USER');
    expect(user).toHaveLength(1);
    expect(user[0]?.args).toMatch(/^[1-9][0-9]*(:[1-9][0-9]*)?$/);
    // the USER comes after the last COPY, so nothing after it runs as root
    expect(finalStage.indexOf(user[0] as Instruction)).toBeGreaterThan(
      finalStage.findLastIndex((i) => i.keyword === 'COPY' || i.keyword === 'RUN'),
    );
  });

  it('starts node in exec form so SIGTERM reaches it', () => {
    const cmd = all.filter((i) => i.keyword === 'CMD');
    expect(cmd).toHaveLength(1);
    expect(JSON.parse(cmd[0]?.args ?? '')).toEqual(['node', 'dist/main.js']);
    expect(all.find((i) => i.keyword === 'ENTRYPOINT')).toBeUndefined();
    expect(finalStage.find((i) => i.keyword === 'EXPOSE')?.args).toBe('8080');
  });

  it('pins every base image by digest, with its tag in a comment above', () => {
    const lines = dockerfile.split('\n');
    const images = all.filter((i) => i.keyword === 'ARG' && /^\w+_IMAGE=/.test(i.args));
    expect(images.map((i) => i.args.split('=')[0])).toEqual([
      'NODE_IMAGE',
      'DEBIAN_IMAGE',
      'CUDA_IMAGE',
    ]);
    for (const image of images) {
      const reference = image.args.split('=')[1] ?? '';
      const match = /^([\w./-]+):([\w.-]+)@sha256:[0-9a-f]{64}$/.exec(reference);
      expect(match, reference).not.toBeNull();
      // The comment right above names the same tag the digest was published under.
      expect(lines[image.line - 2]).toBe(`# ${match?.[1]}:${match?.[2]}`);
    }
    // Every FROM is one of those pinned images or an earlier stage.
    const stageNames = stages.map((s) => /\bAS (\S+)$/i.exec(s.args)?.[1]);
    for (const from of stages) {
      const source = from.args.replace(/\s+AS\s+\S+$/i, '');
      const pinned = /^\$\{(NODE|DEBIAN|CUDA)_IMAGE\}$/.test(source);
      const stage = source === `runtime-gpu$\{GPU}` || stageNames.includes(source);
      expect(pinned || stage, source).toBe(true);
    }
  });

  it("keeps only the target platform's ONNX Runtime binaries and no source maps", () => {
    const prune = all.find((i) => i.keyword === 'RUN' && i.args.includes('onnxruntime-node'));
    expect(prune?.args).toContain(`case "$\{TARGETARCH:-amd64}" in`);
    expect(all.find((i) => i.keyword === 'ARG' && i.args === 'TARGETARCH')).toBeDefined();
    expect(prune?.args).toContain('amd64) arch=x64 ;;');
    expect(prune?.args).toContain('arm64) arch=arm64 ;;');
    expect(prune?.args).toContain('case "$dir" in */linux/"$arch") ;; *) rm -rf "$dir" ;; esac;');
    expect(prune?.args).toContain("find /app -name '*.map' -type f -delete;");
  });

  it('ships no package manager: the runtimes copy in the node binary alone', () => {
    const runtimes = stages.filter((s) => /AS runtime-gpu[01]$/.test(s.args));
    expect(runtimes.map((s) => s.args)).toEqual([
      `$\{DEBIAN_IMAGE} AS runtime-gpu0`,
      `$\{CUDA_IMAGE} AS runtime-gpu1`,
    ]);
    for (const runtime of runtimes) {
      const body = all.slice(all.indexOf(runtime) + 1);
      const next = body.findIndex((i) => i.keyword === 'FROM');
      const copies = body.slice(0, next).filter((i) => i.keyword === 'COPY');
      expect(copies.map((i) => i.args)).toEqual([
        '--from=build /usr/local/bin/node /usr/local/bin/node',
      ]);
    }
    // Nothing after the build stage installs anything, and the node base is only the build stage.
    const afterBuild = all.slice(all.indexOf(stages[1] as Instruction));
    expect(afterBuild.filter((i) => i.keyword === 'RUN')).toEqual([]);
    expect(stages.filter((s) => s.args.startsWith(`$\{NODE_IMAGE}`))).toHaveLength(1);
  });

  it('keeps node_modules and build output out of the context', () => {
    const ignore = readInfra('Dockerfile.dockerignore').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git']));
  });
});

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
      /if \[ "\$GPU" = "1" \]; then \\\n\s+cd "\$ort" && ONNXRUNTIME_NODE_INSTALL=cuda12 node script\/install\.js/,
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

  it('pins base images to a version, never latest', () => {
    for (const from of stages) expect(from.args).not.toMatch(/:latest\b/);
    expect(
      all.filter((i) => i.keyword === 'ARG' && /_(VERSION|IMAGE)=/.test(i.args)).map((i) => i.args),
    ).toEqual(['NODE_VERSION=20.19.5', 'CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04']);
  });

  it('keeps node_modules and build output out of the context', () => {
    const ignore = readInfra('Dockerfile.dockerignore').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git']));
  });
});

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtBinDir, ensureHelm, findBinaries } from './binaries.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'binaries-'));
  dirs.push(dir);
  return dir;
}
function executableIn(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('helm', () => {
  it('HELM_BIN first; one that is not executable is refused by name', async () => {
    const own = executableIn(tempDir(), 'my-helm');
    const env = { MLSCALE_CLUSTER_CACHE: tempDir(), PATH: '' };
    expect(await ensureHelm(() => {}, { ...env, HELM_BIN: own })).toBe(own);
    await expect(ensureHelm(() => {}, { ...env, HELM_BIN: '/nonexistent/helm' })).rejects.toThrow(
      'helm: HELM_BIN=/nonexistent/helm is not an executable file',
    );
  });

  it('the cache before PATH, PATH when the cache has none; missing is reported, not thrown', () => {
    const cache = tempDir();
    const onPath = executableIn(tempDir(), 'helm');
    const env = { MLSCALE_CLUSTER_CACHE: cache, PATH: join(onPath, '..') };
    expect(findBinaries(env).found.helm).toBe(onPath);
    const cached = executableIn(builtBinDir(env), 'helm');
    expect(findBinaries(env).found.helm).toBe(cached);
    expect(findBinaries({ MLSCALE_CLUSTER_CACHE: tempDir(), PATH: '' }).missing).toContainEqual({
      name: 'helm',
      why: expect.stringContaining('not built yet'),
    });
  });
});

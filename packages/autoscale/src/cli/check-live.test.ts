import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from './exit-codes.js';
import { runCli } from './run-cli.fixture.js';

let dir: string;
let kubeconfig: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'check-live-'));
  kubeconfig = join(dir, 'kubeconfig');
  // A cluster on a port nothing listens on (port 1 on loopback refuses).
  await writeFile(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: me, user: {token: abc}}]
contexts: [{name: gone, context: {cluster: gone, user: me, namespace: serving}}]
current-context: gone
`,
  );
});

describe('mlscale check --kubeconfig: what cannot run says why, exit 2, no stack trace', () => {
  it('an API server that does not answer', async () => {
    const run = await runCli(['check', '--kubeconfig', kubeconfig]);
    expect(run.code).toBe(ExitCode.Usage);
    expect(run.err).toBe(
      'check: cannot reach the Kubernetes API server at https://127.0.0.1:1: ECONNREFUSED (is the cluster up, and is this the right kubeconfig and context?)',
    );
  });

  it('a kubeconfig that is not there', async () => {
    const run = await runCli(['check', '--kubeconfig', join(dir, 'missing')]);
    expect(run.code).toBe(ExitCode.Usage);
    expect(run.err).toMatch(/^check: cannot read the kubeconfig .*missing: ENOENT/);
  });

  it('a context the kubeconfig does not have', async () => {
    const run = await runCli(['check', '--kubeconfig', kubeconfig, '--context', 'prod']);
    expect(run.code).toBe(ExitCode.Usage);
    expect(run.err).toBe('check: the kubeconfig has no context "prod" (it has gone)');
  });

  it('file flags with the live check, and no paths without it', async () => {
    const both = await runCli(['check', '--live', '--metrics-file', 'x.txt']);
    expect(both.code).toBe(ExitCode.Usage);
    expect(both.err).toContain('the live check reads the pods itself');
    const none = await runCli(['check']);
    expect(none.code).toBe(ExitCode.Usage);
    expect(none.err).toContain('or --live / --kubeconfig <file> to check a running cluster');
  });
});

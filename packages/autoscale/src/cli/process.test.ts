// The built command as a user runs it (turbo builds before testing): what only a real process
// shows, such as the reader of its output going away.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const examples = fileURLToPath(new URL('../../examples/', import.meta.url));

function run(args: string[]) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('the built mlscale command', () => {
  it('is built (pnpm build)', () => {
    expect(existsSync(cli)).toBe(true);
  });

  it('prints its version', async () => {
    expect(await run(['--version'])).toEqual({ code: 0, out: `${packageJson.version}\n`, err: '' });
  });

  it('exits quietly when the reader goes away (| head)', () => {
    // 130 kB of JSON, more than a pipe holds, into `head -c 1`: the writes after head left fail
    // with EPIPE. Run through bash, as a user would, for the exit status of mlscale itself.
    const args = [
      'simulate',
      '--trace',
      `${examples}step-load.csv`,
      '--hpa',
      `${examples}guide-hpa.yaml`,
      '--hpa',
      `${examples}project/hpa.yaml`,
      '--timeline',
      '--json',
    ];
    const quoted = [process.execPath, cli, ...args].map((a) => `'${a}'`).join(' ');
    const script = `${quoted} 2>"$ERR" | { sleep 0.2; head -c 1 >/dev/null; }; echo "status $\{PIPESTATUS[0]}"; cat "$ERR"`;
    const err = join(mkdtempSync(join(tmpdir(), 'mlscale-epipe-')), 'stderr');
    const result = spawnSync('bash', ['-c', script], {
      encoding: 'utf8',
      env: { ...process.env, ERR: err },
    });
    expect(result.stdout).toBe('status 0\n');
  });

  it('calls an unwritable output file a usage error (2), not an internal one', async () => {
    const result = await run([
      'simulate',
      '--trace',
      `${examples}step-load.csv`,
      '--hpa',
      `${examples}guide-hpa.yaml`,
      '--svg',
      '/nonexistent/folder/chart.svg',
    ]);
    expect(result.code).toBe(2);
    expect(result.err).toBe(
      'mlscale: --svg /nonexistent/folder/chart.svg: cannot write there: no such file or folder\n',
    );
  });
});

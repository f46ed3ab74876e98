import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runExample } from './run-example.mjs';

const dir = mkdtempSync(join(tmpdir(), 'run-example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes an example program and returns its file name. */
function example(name, code) {
  writeFileSync(join(dir, name), code);
  return name;
}

const server = (onTerm) => `
const { createServer } = require('node:http');
const server = createServer((req, res) => res.end(req.url === '/metrics' ? 'up 1\\n' : 'hi'));
server.listen(Number(process.env.PORT), process.env.HOST, () =>
  console.log('listening on http://' + process.env.HOST + ':' + server.address().port));
${onTerm}
`;

describe('runExample', () => {
  it('passes an example that exits with 0, and checks what it prints', async () => {
    const file = example('ok.cjs', "console.log('up 1');");
    expect(await runExample(file, { cwd: dir, stdout: [/^up 1$/m] })).toEqual({
      ok: true,
      detail: 'ran',
    });
    const wrong = await runExample(file, { cwd: dir, stdout: [/^up 2$/m] });
    expect(wrong.ok).toBe(false);
    expect(wrong.detail).toMatch(/does not match \/\^up 2\$\/m/);
  });

  it('fails an example that throws', async () => {
    const result = await runExample(example('throws.cjs', "throw new Error('boom');"), {
      cwd: dir,
    });
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/exited with 1[\s\S]*boom/);
  });

  it('serves, answers the requests, and stops on SIGTERM', async () => {
    const file = example('serves.cjs', server("process.on('SIGTERM', () => server.close());"));
    const result = await runExample(file, {
      cwd: dir,
      serving: [{ path: '/metrics', body: [/^up 1$/m] }],
    });
    expect(result).toEqual({ ok: true, detail: 'served and stopped' });
  });

  it('fails a server whose answer is not the expected one', async () => {
    const file = example(
      'serves-wrong.cjs',
      server("process.on('SIGTERM', () => server.close());"),
    );
    const result = await runExample(file, {
      cwd: dir,
      serving: [{ path: '/metrics', body: [/^up 0$/m] }],
    });
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/GET \/metrics: the body does not match/);
  });

  it('fails a server that does not stop on SIGTERM', async () => {
    const file = example('keeps-serving.cjs', server("process.on('SIGTERM', () => {});"));
    const result = await runExample(file, { cwd: dir, serving: [], stopLimitMs: 500 });
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/did not stop within 0.5 s of SIGTERM/);
  });

  it('fails an example that neither exits nor announces a server', async () => {
    const file = example('hangs.cjs', 'setInterval(() => {}, 1000);');
    const result = await runExample(file, { cwd: dir, runLimitMs: 500 });
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/still running after 0.5 s and announced no server/);
  });
});

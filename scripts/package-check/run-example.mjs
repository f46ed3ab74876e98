import { spawn } from 'node:child_process';

/** How long an example that does not serve may run. */
const RUN_LIMIT_MS = 30_000;
/** How long a serving example has to stop after SIGTERM. */
const STOP_LIMIT_MS = 5_000;
const LISTENING = /listening on (http:\/\/[^\s/]+)/;

/**
 * Runs one compiled example with `PORT=0` and `HOST=127.0.0.1`. It passes when it exits with 0 by
 * itself within 30 s; or when it prints `listening on http://HOST:PORT`, answers `serving` as
 * expected, and exits with 0 within 5 s of SIGTERM.
 *
 * @param {string} file - the compiled example (.mjs or .cjs)
 * @param {{ cwd: string, node?: string, env?: Record<string, string>, serving?: import('./packages.mjs').ServingRequest[], stdout?: RegExp[] }} options - `node`: the Node.js binary (default: this one)
 * @returns {Promise<{ ok: boolean, detail: string }>}
 */
export function runExample(
  file,
  { cwd, node = process.execPath, env = {}, serving = [], stdout: expectStdout = [] },
) {
  return new Promise((resolve) => {
    const child = spawn(node, [file], {
      cwd,
      env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1', NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let served = false;
    /** @type {string | undefined} */
    let failure;
    const fail = (/** @type {string} */ why) => {
      failure ??= why;
      child.kill('SIGKILL');
    };
    const limit = setTimeout(
      () => fail(`still running after ${RUN_LIMIT_MS / 1000} s and announced no server`),
      RUN_LIMIT_MS,
    );
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = LISTENING.exec(out);
      if (match && !served) {
        served = true;
        clearTimeout(limit);
        exercise(/** @type {string} */ (match[1]), serving).then(
          () => {
            child.kill('SIGTERM');
            setTimeout(
              () => fail(`did not stop within ${STOP_LIMIT_MS / 1000} s of SIGTERM`),
              STOP_LIMIT_MS,
            ).unref();
          },
          (error) => fail(String(error instanceof Error ? error.message : error)),
        );
      }
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(limit);
      if (!failure && code !== 0) failure = `exited with ${code ?? signal}`;
      if (!failure && serving.length > 0 && !served && out.includes('listening'))
        failure = 'printed "listening" without an http://HOST:PORT address';
      const unmatched = expectStdout.find((pattern) => !pattern.test(out));
      if (!failure && unmatched) failure = `its output does not match ${unmatched}`;
      const tail = `${out}${err}`.trim().split('\n').slice(-25).join('\n');
      resolve({
        ok: failure === undefined,
        detail:
          failure === undefined ? (served ? 'served and stopped' : 'ran') : `${failure}\n${tail}`,
      });
    });
  });
}

/**
 * Sends each request to the example's server and checks the answer.
 *
 * @param {string} origin
 * @param {import('./packages.mjs').ServingRequest[]} requests
 */
async function exercise(origin, requests) {
  for (const { path, method = 'GET', json, status = 200, body = [] } of requests) {
    const response = await fetch(`${origin}${path}`, {
      method,
      headers: json === undefined ? {} : { 'content-type': 'application/json' },
      body: json === undefined ? undefined : JSON.stringify(json),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (response.status !== status)
      throw new Error(`${method} ${path} answered ${response.status}, not ${status}: ${text}`);
    for (const pattern of body) {
      if (!pattern.test(text))
        throw new Error(`${method} ${path}: the body does not match ${pattern}:\n${text}`);
    }
  }
}

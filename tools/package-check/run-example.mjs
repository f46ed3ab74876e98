import { spawn } from 'node:child_process';

const LISTENING = /listening on (http:\/\/[^\s/]+)/;

/**
 * Runs one compiled example with `PORT=0` and `HOST=127.0.0.1`. It passes when it exits with 0 by
 * itself within `runLimitMs`; or when it prints `listening on http://HOST:PORT`, answers `serving`
 * as expected, and exits with 0 within `stopLimitMs` of SIGTERM.
 *
 * @param {string} file - the compiled example (.mjs or .cjs)
 * @param {object} options
 * @param {string} options.cwd - where it runs
 * @param {string} [options.node] - the Node.js binary; default: the one running this
 * @param {Record<string, string>} [options.env] - added to the environment
 * @param {import('./packages.mjs').ServingRequest[]} [options.serving] - sent once it serves
 * @param {RegExp[]} [options.stdout] - what its output must contain
 * @param {number} [options.runLimitMs] - how long it may run without serving; default 30 s
 * @param {number} [options.stopLimitMs] - how long it has to stop after SIGTERM; default 5 s
 * @returns {Promise<{ ok: boolean, detail: string }>}
 */
export function runExample(
  file,
  {
    cwd,
    node = process.execPath,
    env = {},
    serving = [],
    stdout: expectStdout = [],
    runLimitMs = 30_000,
    stopLimitMs = 5_000,
  },
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
      () => fail(`still running after ${runLimitMs / 1000} s and announced no server`),
      runLimitMs,
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
              () => fail(`did not stop within ${stopLimitMs / 1000} s of SIGTERM`),
              stopLimitMs,
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

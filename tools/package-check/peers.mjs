import { execFileSync } from 'node:child_process';
import { npmEnv } from './npm-env.mjs';

/**
 * The published versions of `name` that `range` allows, oldest first, by semver
 * (prereleases left out), as the registry lists them.
 *
 * @param {string} name
 * @param {string} range
 * @returns {string[]}
 */
function versionsIn(name, range) {
  const out = execFileSync('npm', ['view', `${name}@${range}`, 'version', '--json'], {
    env: npmEnv(),
    encoding: 'utf8',
  });
  const parsed = JSON.parse(out || '[]');
  const versions = (Array.isArray(parsed) ? parsed : [parsed]).filter(
    (v) => typeof v === 'string' && !v.includes('-'),
  );
  if (versions.length === 0) throw new Error(`no published version of ${name} matches ${range}`);
  const parts = (/** @type {string} */ v) => v.split('.').map(Number);
  return versions.sort((a, b) => {
    const [x, y] = [parts(a), parts(b)];
    return (x[0] ?? 0) - (y[0] ?? 0) || (x[1] ?? 0) - (y[1] ?? 0) || (x[2] ?? 0) - (y[2] ?? 0);
  });
}

/**
 * For each peer dependency of a package, the lowest and the latest version its range allows.
 *
 * @param {Record<string, string>} peerDependencies
 * @returns {{ lowest: Record<string, string>, latest: Record<string, string> }}
 */
export function peerVersions(peerDependencies) {
  /** @type {Record<string, string>} */
  const lowest = {};
  /** @type {Record<string, string>} */
  const latest = {};
  for (const [name, range] of Object.entries(peerDependencies)) {
    const versions = versionsIn(name, range);
    lowest[name] = /** @type {string} */ (versions[0]);
    latest[name] = /** @type {string} */ (versions.at(-1));
  }
  return { lowest, latest };
}

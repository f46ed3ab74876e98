import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { npmEnv } from './npm-env.mjs';

/**
 * Packs a package with `pnpm pack` (which turns `workspace:` ranges into versions, as
 * `pnpm publish` and `changeset publish` do) into `destination`.
 *
 * @param {string} packageDir - absolute path
 * @param {string} destination - folder for the tarball
 * @returns {string} the tarball's path
 */
export function pack(packageDir, destination) {
  const before = new Set(readdirSync(destination));
  execFileSync('pnpm', ['pack', '--pack-destination', destination], {
    cwd: packageDir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const made = readdirSync(destination).filter((f) => f.endsWith('.tgz') && !before.has(f));
  if (made.length !== 1) throw new Error(`pnpm pack in ${packageDir} made ${made.length} tarballs`);
  return join(destination, /** @type {string} */ (made[0]));
}

/**
 * What is wrong with a packed tarball, as a user of the registry would find it: no LICENSE (or
 * another one than the repository's), `workspace:` left in the manifest, an `engines.node` other
 * than the repository's one floor, a plain `npm pack` that would ship `workspace:`.
 *
 * @param {string} tarball
 * @param {{ packageDir: string, license: string, engines: string }} expected
 * @returns {string[]} problems; empty when it is clean
 */
export function hygieneProblems(tarball, { packageDir, license, engines }) {
  const problems = [];
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
  if (!files.includes('package/LICENSE')) problems.push('no LICENSE in the tarball');
  else if (read(tarball, 'package/LICENSE') !== license)
    problems.push('its LICENSE differs from the repository LICENSE');
  const manifestText = read(tarball, 'package/package.json');
  if (manifestText.includes('workspace:'))
    problems.push('the packed package.json still says workspace:');
  const manifest = JSON.parse(manifestText);
  if (manifest.engines?.node !== engines)
    problems.push(
      `engines.node is ${manifest.engines?.node}, the repository's floor is ${engines}`,
    );
  const source = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const hasWorkspaceRange = JSON.stringify(source).includes('workspace:');
  if (hasWorkspaceRange) {
    // npm does not rewrite workspace: ranges; the package's prepack must stop a plain npm pack.
    const npm = spawnSync('npm', ['pack', '--dry-run', '--ignore-scripts=false'], {
      cwd: packageDir,
      env: npmEnv(),
      encoding: 'utf8',
    });
    if (npm.status === 0) problems.push('a plain `npm pack` succeeds and would ship workspace:');
  }
  return problems;
}

/**
 * @param {string} tarball
 * @param {string} path
 */
function read(tarball, path) {
  return execFileSync('tar', ['-xzOf', tarball, path], { encoding: 'utf8' });
}

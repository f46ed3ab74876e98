// The packages as a user gets them: packed, installed with npm into an empty folder, each README
// example run in ESM and CommonJS and type-checked (module nodenext, moduleResolution bundler), at
// the lowest and the latest versions of the peer dependencies. See README.md beside this file.
// Usage: pnpm check:packages (after pnpm build). --keep keeps the work folder.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { npmEnv } from './npm-env.mjs';
import { hygieneProblems, pack } from './pack.mjs';
import { packedOnly, readmes } from './packages.mjs';
import { peerVersions } from './peers.mjs';
import { asCommonJs, examples, installCommand } from './readme-blocks.mjs';
import { runExample } from './run-example.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
// TypeScript is this tool's own devDependency, not the root's.
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const work = mkdtempSync(join(tmpdir(), 'mlscale-package-check-'));
const license = readFileSync(join(root, 'LICENSE'), 'utf8');
const engines = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.node;
const counts = { ok: 0, failed: 0 };
const keep = process.argv.includes('--keep');

/** @param {boolean} ok @param {string} what @param {string} [detail] */
function report(ok, what, detail = '') {
  counts[ok ? 'ok' : 'failed']++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${!ok && detail ? `\n${indent(detail)}` : ''}`);
}
/** @param {string} text */
const indent = (text) => text.replace(/^/gm, '     ');
/** @param {string} dir */
const manifestOf = (dir) => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));

/** @param {string} cwd @param {string[]} args */
function npm(cwd, args) {
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    env: npmEnv(),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/**
 * Type-checks (and for nodenext compiles) the examples in `dir`.
 * @param {string} dir @param {string} config
 */
function typecheck(dir, config) {
  try {
    execFileSync(process.execPath, [tsc, '-p', config], { cwd: dir, encoding: 'utf8' });
    return '';
  } catch (error) {
    return /** @type {{ stdout?: string }} */ (error).stdout || String(error);
  }
}

/** Every entry point in `exports`, from `import` and from `require`. */
function loadsSource(/** @type {string} */ name, /** @type {string[]} */ subpaths) {
  return `const { createRequire } = require('node:module');
const names = ${JSON.stringify(subpaths.map((s) => `${name}${s.slice(1)}`))};
(async () => {
  for (const n of names) {
    const esm = await import(n);
    const cjs = createRequire(__filename)(n);
    if (Object.keys(esm).length < 2 || Object.keys(cjs).length < 1) throw new Error(n + ' exports nothing');
  }
})().catch((e) => { console.error(e); process.exitCode = 1; });
`;
}

/**
 * The Node.js of the engines floor (`>=20.3.0` → 20.3.0), from npm's per-platform Node packages,
 * so that the floor the packages claim is the one their examples run on.
 */
function floorNode() {
  const version = /^>=\s*(\d+\.\d+\.\d+)$/.exec(engines)?.[1];
  if (!version) throw new Error(`engines.node "${engines}" is not of the form >=x.y.z`);
  const dir = join(work, 'node-floor');
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
  const name = `node-${process.platform}-${process.arch}`;
  npm(dir, ['install', `${name}@${version}`]);
  const binary = join(dir, 'node_modules', name, 'bin', 'node');
  const actual = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  if (actual !== `v${version}`) throw new Error(`${name}@${version} runs ${actual}`);
  return { binary, version };
}
const floor = floorNode();

const tarballs = new Map();
mkdirSync(join(work, 'tarballs'));
for (const dir of [...readmes.map((r) => r.dir), ...packedOnly]) {
  const { name } = manifestOf(dir);
  const tarball = pack(join(root, dir), join(work, 'tarballs'));
  tarballs.set(name, tarball);
  const problems = hygieneProblems(tarball, { packageDir: join(root, dir), license, engines });
  report(
    problems.length === 0,
    `${name}: packed clean (LICENSE, engines ${engines}, no workspace:)`,
    problems.join('\n'),
  );
}

/** The tarballs of `name` and of the @mlscale packages it depends on. */
function ownTarballs(/** @type {string} */ name, /** @type {Set<string>} */ seen = new Set()) {
  if (seen.has(name)) return [];
  seen.add(name);
  const dir = [...readmes.map((r) => r.dir), ...packedOnly].find(
    (d) => manifestOf(d).name === name,
  );
  if (!dir) throw new Error(`${name} is not one of the packages this check packs`);
  const deps = Object.keys(manifestOf(dir).dependencies ?? {}).filter((d) =>
    d.startsWith('@mlscale/'),
  );
  return [tarballs.get(name), ...deps.flatMap((d) => ownTarballs(d, seen))];
}

for (const dir of packedOnly) {
  const { name, exports } = manifestOf(dir);
  const app = join(work, name.replace('/', '+'));
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{ "private": true }\n');
  npm(app, ['install', ...ownTarballs(name)]);
  writeFileSync(
    join(app, 'loads.cjs'),
    loadsSource(
      name,
      Object.keys(exports).filter((s) => s !== './package.json'),
    ),
  );
  const result = await runExample('loads.cjs', { cwd: app });
  report(
    result.ok,
    `${name}: installs, every entry point loads from import and require`,
    result.detail,
  );
}

for (const { dir, serving, setups = [{ label: '', serving }], stdout = [] } of readmes) {
  const manifest = manifestOf(dir);
  const { name } = manifest;
  const readme = readFileSync(join(root, dir, 'README.md'), 'utf8');
  const blocks = examples(readme);
  const app = join(work, name.replace('/', '+'));
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{ "private": true }\n');
  blocks.forEach((block, i) => {
    writeFileSync(join(app, `example-${i + 1}.mts`), block.code);
    writeFileSync(join(app, `example-${i + 1}.ts`), block.code);
    writeFileSync(join(app, `example-${i + 1}.cts`), asCommonJs(block.code));
  });
  const common = { target: 'es2022', strict: true, skipLibCheck: true, types: ['node'] };
  writeFileSync(
    join(app, 'tsconfig.nodenext.json'),
    JSON.stringify({
      compilerOptions: {
        ...common,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        outDir: 'out',
      },
      include: ['example-*.mts', 'example-*.cts'],
    }),
  );
  writeFileSync(
    join(app, 'tsconfig.bundler.json'),
    JSON.stringify({
      compilerOptions: { ...common, module: 'esnext', moduleResolution: 'bundler', noEmit: true },
      include: ['example-*.ts'],
    }),
  );
  const peers = peerVersions(manifest.peerDependencies ?? {});
  const wanted = installCommand(readme);
  const missingPeers = Object.keys(peers.lowest).filter((p) => !wanted.includes(p));
  report(
    missingPeers.length === 0,
    `${name}: the README's npm install names every peer`,
    `missing: ${missingPeers.join(', ')}`,
  );

  // The lowest peers run on the engines floor's Node, the latest on this one.
  const nodes = {
    lowest: { binary: floor.binary, version: floor.version },
    latest: { binary: process.execPath, version: process.versions.node },
  };
  for (const [variant, versions] of Object.entries(peers)) {
    const node = nodes[/** @type {'lowest' | 'latest'} */ (variant)];
    const label = [
      `node@${node.version}`,
      ...Object.entries(versions).map(([p, v]) => `${p}@${v}`),
    ].join(' ');
    const specs = wanted.flatMap((spec) =>
      spec.startsWith('@mlscale/')
        ? ownTarballs(spec)
        : [versions[spec] ? `${spec}@${versions[spec]}` : spec],
    );
    try {
      npm(app, ['install', ...new Set([...ownTarballs(name), ...specs]), '@types/node@20']);
      report(true, `${name} [${variant}: ${label}]: npm install as the README says`);
    } catch (error) {
      report(
        false,
        `${name} [${variant}: ${label}]: npm install as the README says`,
        String(error),
      );
      continue;
    }
    const nodenext = typecheck(app, 'tsconfig.nodenext.json');
    report(!nodenext, `${name} [${variant}]: tsc, module nodenext (ESM and CJS)`, nodenext);
    const bundler = typecheck(app, 'tsconfig.bundler.json');
    report(!bundler, `${name} [${variant}]: tsc, moduleResolution bundler`, bundler);
    for (const setup of setups) {
      const env = setup.env?.(app) ?? {};
      const where = setup.label ? `, ${setup.label}` : '';
      for (const [i, block] of blocks.entries()) {
        const expected = stdout.filter((s) => block.code.includes(s.block)).map((s) => s.stdout);
        for (const [system, file] of [
          ['ESM', `out/example-${i + 1}.mjs`],
          ['CJS', `out/example-${i + 1}.cjs`],
        ]) {
          // tsc emits despite type errors (reported above), so every example still runs.
          const result = await runExample(file, {
            cwd: app,
            node: node.binary,
            env,
            serving: setup.serving,
            stdout: expected,
          });
          const what = `${name} [${variant}${where}]: README.md:${block.line} ${system}`;
          report(result.ok, result.ok ? `${what} (${result.detail})` : what, result.detail);
        }
      }
    }
  }
}

console.log(
  `\n${counts.ok} passed, ${counts.failed} failed (work folder ${work}${keep ? ', kept' : ''})`,
);
if (!keep) rmSync(work, { recursive: true, force: true });
process.exit(counts.failed > 0 ? 1 : 0);

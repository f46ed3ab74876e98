#!/usr/bin/env node
// Measures the shape of the source tree with the TypeScript compiler's parser: functions longer
// than a reader can hold, test files past the size where they stop mirroring one source file,
// metric names written out as string literals outside their one definition, and how many names
// each published package exports. Prints the figures; `--check` exits 1 when a limit is passed.
//
// Usage: node tools/code-shape/main.mjs [--check] [--list]
// The exceptions (upstream ports, splits pending with their owner) are listed, with why, in
// allowed.mjs beside this file.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { PENDING_SPLITS, UPSTREAM_SHAPE } from './allowed.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = new Set(process.argv.slice(2));

/** The limits of the architecture issue (#20). */
export const LIMITS = { functionLines: 80, testFileLines: 500 };
/** Export limits of the architecture issue, by package name. */
const EXPORT_LIMITS = { '@mlscale/hpa': 40, '@mlscale/autoscale': 60 };

const SOURCE_DIRS = ['packages', 'apps', 'tools', 'infra', 'charts'];
const SKIP_DIRS = new Set(['node_modules', 'dist', 'coverage', '.turbo', 'fixtures']);

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name) || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const isTest = (path) => /\.(test|bench)\.[mc]?[tj]s$|\.fixture\.ts$|\/test\//.test(path);

function parse(path) {
  return ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
}

function lineOf(file, pos) {
  return file.getLineAndCharacterOfPosition(pos).line + 1;
}

function functionName(node) {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText();
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText();
  if (parent && ts.isCallExpression(parent)) {
    const callee = parent.expression.getText();
    const first = parent.arguments[0];
    const label = first && ts.isStringLiteralLike(first) ? ` ${JSON.stringify(first.text)}` : '';
    return `${callee}(${label.trim()}) callback`;
  }
  return '(anonymous)';
}

/** Every function, method, accessor, constructor or arrow longer than the limit. */
function longFunctions(file) {
  const found = [];
  function visit(node) {
    if (
      ts.isFunctionDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isArrowFunction(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node)
    ) {
      if (node.body) {
        const start = lineOf(file, node.getStart(file));
        const end = lineOf(file, node.end);
        const lines = end - start + 1;
        if (lines > LIMITS.functionLines) found.push({ name: functionName(node), start, lines });
      }
    }
    ts.forEachChild(node, visit);
  }
  visit(file);
  return found;
}

/** The text of every string literal, template part and object key in a file (comments are not literals). */
function literals(file) {
  const texts = [];
  function visit(node) {
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      texts.push(node.text);
    } else if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name)) {
      // A name written as an object key ({ request_queue_depth: 'depth' }) is the same literal.
      texts.push(node.name.text);
    }
    ts.forEachChild(node, visit);
  }
  visit(file);
  return texts;
}

/** The series of the metric contract, read from the contract package when it is there. */
async function contractNames() {
  try {
    const { SERIES } = await import(join(root, 'packages/metric-contract/dist/index.js'));
    return Object.values(SERIES).map((s) => s.name);
  } catch {
    if (args.has('--check')) {
      console.error(
        'code-shape --check reads the metric names from @mlscale/metric-contract: build it first (pnpm --filter @mlscale/metric-contract build)',
      );
      process.exit(1);
    }
    return [
      'inference_latency_seconds',
      'inference_batch_size',
      'request_queue_depth',
      'request_queue_depth_seconds_total',
      'request_queue_wait_seconds',
      'requests_rejected_total',
      'requests_receiving',
      'http_requests_total',
      'http_request_duration_seconds',
      'gpu_utilization_percent',
      'gpu_memory_used_bytes',
      'gpu_memory_total_bytes',
      'gpu_busy_seconds_total',
      'gpu_probe_up',
      'gpu_probe_read_errors_total',
      'emulated_device_info',
    ];
  }
}

function exportCount(entry) {
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const symbol = source && checker.getSymbolAtLocation(source);
  return symbol ? checker.getExportsOfModule(symbol).length : 0;
}

const files = SOURCE_DIRS.flatMap((dir) => walk(join(root, dir)));
const rel = (path) => relative(root, path);

const functions = [];
const tests = [];
const literalFiles = new Map();
const names = await contractNames();
// A series' own name, or one of the names Prometheus derives from it (_bucket, _sum, _count).
const wordOf = (name) =>
  new RegExp(`(^|[^a-zA-Z0-9_])${name}(_bucket|_sum|_count|_created)?($|[^a-zA-Z0-9_])`);
for (const path of files) {
  if (path === fileURLToPath(import.meta.url)) continue;
  const file = parse(path);
  const test = isTest(rel(path));
  if (test) {
    const lines = file.getLineAndCharacterOfPosition(file.end).line + 1;
    if (/\.test\.[mc]?[tj]s$/.test(path) && lines > LIMITS.testFileLines) {
      tests.push({ path: rel(path), lines });
    }
    continue;
  }
  if (!UPSTREAM_SHAPE.some(({ path: re }) => re.test(path))) {
    for (const f of longFunctions(file)) functions.push({ path: rel(path), ...f });
  }
  const texts = literals(file);
  for (const name of names) {
    const re = wordOf(name);
    if (texts.some((t) => re.test(t))) {
      const list = literalFiles.get(name) ?? [];
      list.push(rel(path));
      literalFiles.set(name, list);
    }
  }
}

const exportsByPackage = [];
for (const dir of readdirSync(join(root, 'packages'))) {
  const pkgPath = join(root, 'packages', dir, 'package.json');
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
  } catch {
    continue;
  }
  if (pkg.private) continue;
  const entry = join(root, 'packages', dir, 'src/index.ts');
  exportsByPackage.push({ name: pkg.name, exports: exportCount(entry) });
}

functions.sort((a, b) => b.lines - a.lines);
console.log(
  `functions over ${LIMITS.functionLines} lines (outside tests and upstream ports): ${functions.length}`,
);
if (args.has('--list')) {
  for (const f of functions) console.log(`  ${f.lines}\t${f.path}:${f.start}\t${f.name}`);
}
console.log(`test files over ${LIMITS.testFileLines} lines: ${tests.length}`);
for (const t of tests) console.log(`  ${t.lines}\t${t.path}`);
console.log('metric names as string literals outside tests (files):');
for (const name of names) {
  const list = literalFiles.get(name) ?? [];
  console.log(`  ${list.length}\t${name}`);
  if (args.has('--list')) for (const p of list) console.log(`\t\t${p}`);
}
console.log('exports per published package:');
for (const p of exportsByPackage) console.log(`  ${p.exports}\t${p.name}`);

const isPending = (f) => PENDING_SPLITS.some((p) => p.path === f.path && p.name === f.name);
const pending = functions.filter(isPending);
const stale = PENDING_SPLITS.filter(
  (p) => !functions.some((f) => f.path === p.path && f.name === p.name),
);
for (const p of stale) {
  console.log(
    `${p.path} ${p.name} is no longer over ${LIMITS.functionLines} lines: delete its entry in tools/code-shape/allowed.mjs`,
  );
}
if (pending.length > 0) {
  console.log(`of which pending a split by their owner (allowed.mjs): ${pending.length}`);
  for (const f of pending) console.log(`  ${f.lines}\t${f.path}\t${f.name}`);
}

if (args.has('--check')) {
  const unlisted = functions.filter((f) => !isPending(f));
  const over = [
    ...unlisted.map((f) => `${f.path}:${f.start} ${f.name} is ${f.lines} lines`),
    ...(tests.length > 0 ? [`${tests.length} test files over ${LIMITS.testFileLines} lines`] : []),
    ...names.flatMap((name) => {
      const count = (literalFiles.get(name) ?? []).length;
      return count > 1 ? [`${name} written in ${count} files`] : [];
    }),
    ...exportsByPackage.flatMap(({ name, exports }) => {
      const limit = EXPORT_LIMITS[name];
      return limit !== undefined && exports > limit
        ? [`${name} exports ${exports} (at most ${limit})`]
        : [];
    }),
  ];
  if (over.length > 0) {
    console.error(`over the limits: ${over.join('; ')}`);
    process.exit(1);
  }
}

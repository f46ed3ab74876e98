import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** @type {typeof import('typescript')} */
const ts = require('typescript');

/**
 * The fenced code blocks of a Markdown text, with their language and the line they start on.
 *
 * @param {string} markdown
 * @returns {Array<{ lang: string, code: string, line: number }>}
 */
export function fencedBlocks(markdown) {
  const blocks = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i] ?? ''); i++) body.push(lines[i]);
    if (i >= lines.length) throw new Error(`line ${start + 1}: code block is never closed`);
    blocks.push({ lang: open[1] ?? '', code: `${body.join('\n')}\n`, line: start + 1 });
  }
  return blocks;
}

/**
 * The README's examples: every `ts` (or `typescript`) block. There is no way to leave one out: a
 * block that is not a complete program belongs in another language (`text`).
 *
 * @param {string} markdown
 */
export function examples(markdown) {
  return fencedBlocks(markdown).filter((block) => ['ts', 'typescript'].includes(block.lang));
}

/**
 * The package names of the README's install command: the first `sh` block line that starts with
 * `npm install`, without a shell comment at its end (`npm install x   # Node 20+`).
 *
 * @param {string} markdown
 * @returns {string[]}
 */
export function installCommand(markdown) {
  for (const block of fencedBlocks(markdown)) {
    if (block.lang !== 'sh') continue;
    const line = block.code.split('\n').find((l) => l.startsWith('npm install '));
    if (line)
      return line
        .slice('npm install '.length)
        .replace(/\s#.*$/, '')
        .trim()
        .split(/\s+/);
  }
  throw new Error('the README has no `npm install ...` line in a sh block');
}

/**
 * The same program as CommonJS: its imports stay at the top (tsc turns them into `require`), the
 * rest runs in an async function, since CommonJS has no top-level `await`.
 *
 * @param {string} code - an ES module
 * @returns {string}
 */
export function asCommonJs(code) {
  const source = ts.createSourceFile('example.mts', code, ts.ScriptTarget.Latest, true);
  const imports = [];
  const body = [];
  for (const statement of source.statements) {
    const text = code.slice(statement.getFullStart(), statement.getEnd());
    (ts.isImportDeclaration(statement) ? imports : body).push(text);
  }
  return [
    ...imports,
    '',
    'async function main(): Promise<void> {',
    ...body,
    '}',
    'main().catch((error: unknown) => {',
    '  console.error(error);',
    '  process.exitCode = 1;',
    '});',
    '',
  ].join('\n');
}

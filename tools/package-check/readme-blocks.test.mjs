import { describe, expect, it } from 'vitest';
import { asCommonJs, examples, fencedBlocks, installCommand } from './readme-blocks.mjs';

const readme = [
  '# pkg',
  '',
  '```sh',
  'npm install @mlscale/metrics hono prom-client',
  '```',
  '',
  '```ts',
  "import { a } from 'a';",
  'await a();',
  '```',
  '',
  '```text',
  'not run',
  '```',
  '',
  '```typescript',
  'console.log(1);',
  '```',
].join('\n');

describe('README blocks', () => {
  it('finds every fenced block with its language and first line', () => {
    expect(fencedBlocks(readme).map((b) => [b.lang, b.line])).toEqual([
      ['sh', 3],
      ['ts', 7],
      ['text', 12],
      ['typescript', 16],
    ]);
  });

  it('runs every ts and typescript block, and nothing else', () => {
    expect(examples(readme).map((b) => b.code)).toEqual([
      "import { a } from 'a';\nawait a();\n",
      'console.log(1);\n',
    ]);
  });

  it('reads the install command, and fails when there is none', () => {
    expect(installCommand(readme)).toEqual(['@mlscale/metrics', 'hono', 'prom-client']);
    expect(() => installCommand('```ts\nx;\n```\n')).toThrow(/no `npm install/);
  });

  it('leaves out a shell comment at the end of the install command', () => {
    expect(installCommand('```sh\nnpm install @mlscale/autoscale   # Node 20+\n```\n')).toEqual([
      '@mlscale/autoscale',
    ]);
  });

  it('refuses a block that is never closed', () => {
    expect(() => fencedBlocks('```ts\nconst x = 1;\n')).toThrow(
      /line 1: code block is never closed/,
    );
  });

  it('turns a module with top-level await into CommonJS: imports on top, the rest in main()', () => {
    const code = [
      "import { serve } from '@hono/node-server';",
      'import {',
      '  Registry,',
      "} from 'prom-client';",
      'const registry = new Registry();',
      'await registry.metrics();',
      '',
    ].join('\n');
    expect(asCommonJs(code)).toMatchInlineSnapshot(`
      "import { serve } from '@hono/node-server';

      import {
        Registry,
      } from 'prom-client';

      async function main(): Promise<void> {

      const registry = new Registry();

      await registry.metrics();
      }
      main().catch((error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      });
      "
    `);
  });
});

// Test helper (not a test, not published): runs the mlscale program in this process.
import { vi } from 'vitest';
import { buildProgram, exitCodeFor } from './program.js';

/** What a run of the program printed and how it would have exited. */
export interface CliRun {
  /** The exit code `main` would use (0 when the command returned). */
  readonly code: number;
  /** Everything written to stdout, by commander and by the command. */
  readonly out: string;
  /** Everything written to stderr (commander's and the command's own, such as progress), then the message of the error the command failed with. */
  readonly err: string;
}

/**
 * Runs `mlscale <args>` in this process, capturing its output, with the exit code and message
 * `main` would give the error it fails with (so no process exits).
 *
 * @example
 * const result = await runCli(['simulate', '--help']);
 * expect(result.code).toBe(0);
 */
export async function runCli(args: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  const program = buildProgram();
  program.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  for (const c of program.commands)
    c.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  try {
    await program.parseAsync(['node', 'mlscale', ...args]);
    return { code: 0, out, err };
  } catch (error) {
    const { code, message } = exitCodeFor(error);
    return { code, out, err: err + message };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

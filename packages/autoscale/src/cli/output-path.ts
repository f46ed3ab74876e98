/**
 * Output paths (`-o`, `--out`, `--svg`, `--record`, `--out-dir`), checked before a command does any
 * work, so that a user's mistake is a usage error (exit 2) naming the flag, never a failure after
 * a long calibration or an internal error.
 *
 * Each check tries what the write will do (opens the file for writing, creates the folder) and
 * undoes it, rather than reading permission bits: the file system has the last word (a read-only
 * mount, `/proc`, a full disk, root's access to a folder it cannot write in). Folders are created
 * one level at a time: Node's `mkdirSync(path, { recursive: true })` never returns under `/proc`.
 */
import { closeSync, mkdirSync, openSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliError, ExitCode } from './exit-codes.js';

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is not a folder',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EEXIST: 'it already exists, and is not a folder',
};

function usage(flag: string, path: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const reason = REASONS[code] ?? (error as Error).message;
  return new CliError(`${flag} ${path}: cannot write there: ${reason}`, ExitCode.Usage);
}

function kind(path: string): 'file' | 'folder' | 'other' | 'none' {
  try {
    const stat = statSync(path);
    return stat.isDirectory() ? 'folder' : stat.isFile() ? 'file' : 'other';
  } catch {
    return 'none';
  }
}

/**
 * Checks that a file can be written: an existing file is opened for writing (not truncated), a new
 * one is created and removed again.
 *
 * @param path - the file the command will write
 * @param flag - the flag that named it, for the message (`--svg`)
 * @throws CliError (exit 2) saying why it cannot be written
 * @example checkOutputFile('pod.json', '--out');
 */
export function checkOutputFile(path: string, flag: string): void {
  const found = kind(path);
  if (found === 'folder') {
    throw new CliError(
      `${flag} ${path}: it is a folder; give a file name (e.g. ${path.replace(/\/+$/, '')}/out)`,
      ExitCode.Usage,
    );
  }
  try {
    if (found === 'none') {
      closeSync(openSync(path, 'wx'));
      unlinkSync(path);
    } else if (found === 'file') {
      closeSync(openSync(path, 'a'));
    }
    // Anything else (a device such as /dev/stdout, a pipe) is written as it is: opening a pipe
    // to try it would wait for its reader.
  } catch (error) {
    throw usage(flag, path, error);
  }
}

/** The missing folders of a path, outermost first, and the existing one they go under. */
function missingLevels(path: string): { existing: string; missing: string[] } {
  const missing: string[] = [];
  let current = resolve(path);
  while (kind(current) === 'none') {
    missing.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return { existing: current, missing };
}

/**
 * Checks that a folder can hold the command's files: an existing folder takes a file created and
 * removed in it; a missing one is created (one level at a time) and removed again.
 *
 * @param path - the folder (`--out-dir`)
 * @param flag - the flag that named it
 * @param files - the names the command will write in it, each checked when the folder exists
 * @throws CliError (exit 2) saying why
 * @example checkOutputFolder('plan', '-o, --out-dir', ['hpa.yaml']);
 */
export function checkOutputFolder(path: string, flag: string, files: readonly string[]): void {
  const { existing, missing } = missingLevels(path);
  if (kind(existing) !== 'folder') {
    throw new CliError(
      `${flag} ${path}: ${existing === resolve(path) ? 'it is' : `${existing} is`} a file, not a folder`,
      ExitCode.Usage,
    );
  }
  if (missing.length === 0) {
    for (const file of files) checkOutputFile(resolve(path, file), flag);
    return;
  }
  const made: string[] = [];
  try {
    for (const level of missing) {
      mkdirSync(level);
      made.push(level);
    }
  } catch (error) {
    throw usage(flag, path, error);
  } finally {
    for (const level of made.reverse()) rmdirSync(level);
  }
}

/**
 * Creates a folder and the missing ones above it, one level at a time (see the module comment).
 *
 * @param path - the folder
 * @param flag - the flag that named it
 * @throws CliError (exit 2) saying why it cannot be made
 */
export function makeOutputFolder(path: string, flag: string): void {
  const { existing, missing } = missingLevels(path);
  if (kind(existing) !== 'folder') {
    throw new CliError(`${flag} ${path}: ${existing} is a file, not a folder`, ExitCode.Usage);
  }
  try {
    for (const level of missing) mkdirSync(level);
  } catch (error) {
    throw usage(flag, path, error);
  }
}

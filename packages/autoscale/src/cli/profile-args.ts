/** Flags shared by `plan` and `simulate --profile`: the SLO and the capacity profile. */
import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadCapacityProfile } from '../capacity/load.js';
import type { CapacityProfile } from '../capacity/profile.js';
import { CliError, ExitCode } from './exit-codes.js';
import { makeOutputFolder } from './output-path.js';

/**
 * Loads a capacity profile or fails with a usage error listing every problem.
 *
 * @param path - the `--profile` file
 * @returns the profile
 */
export function readProfile(path: string): CapacityProfile {
  const loaded = loadCapacityProfile(path);
  if (!loaded.ok) {
    throw new CliError(
      `invalid capacity profile:\n  ${loaded.errors.join('\n  ')}`,
      ExitCode.Usage,
    );
  }
  return loaded.value;
}

/**
 * Writes an output file whose path was checked before the command's work (`checkOutputFile`,
 * `checkOutputFolder`). A path that still cannot be written (it changed since) throws the file
 * system's error, which the program reports as a usage error naming the path (`exitCodeFor`).
 *
 * @param path - where to write
 * @param text - the content
 * @param options - `createFolder`: the flag whose folder to create first (for `--out-dir`)
 */
export function writeOutput(
  path: string,
  text: string,
  options: { createFolder?: string } = {},
): void {
  if (options.createFolder) makeOutputFolder(dirname(path), options.createFolder);
  writeFileSync(path, text);
}

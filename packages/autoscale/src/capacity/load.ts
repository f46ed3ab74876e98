/** Reading a capacity profile file. */
import { readFileSync } from 'node:fs';
import type { CapacityProfile } from './profile.js';
import { parseCapacityProfile } from './schema.js';

/**
 * Reads and validates a capacity profile (JSON, as `mlscale calibrate` writes it).
 *
 * @param path - the file
 * @returns the profile, or messages naming the file and each bad field
 * @example
 * const loaded = loadCapacityProfile('pod.profile.json');
 * if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
 */
export function loadCapacityProfile(
  path: string,
): { ok: true; value: CapacityProfile } | { ok: false; errors: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      errors: [
        code === 'ENOENT'
          ? `${path}: file not found`
          : `${path}: cannot read: ${(error as Error).message}`,
      ],
    };
  }
  const parsed = parseCapacityProfile(text);
  return parsed.ok
    ? parsed
    : { ok: false, errors: parsed.errors.map((error) => `${path}: ${error}`) };
}

/** Loading the files the commands take: HPA manifests (or KEDA ScaledObjects) and adapter values. */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { parseAllDocuments } from 'yaml';
import { type KedaScaledObject, readScaledObject } from '../adapter/keda.js';
import { type AdapterValues, parseAdapterValues } from '../adapter/rules.js';
import { hpaFromScaledObject } from '../watch/watcher.js';
import { CliError, ExitCode } from './exit-codes.js';

/** An HPA read from a file, with a label for output. */
export interface LoadedHpa {
  /** `name (file)` label. */
  label: string;
  /** The HPA (for a ScaledObject: the HPA KEDA would create). */
  hpa: HorizontalPodAutoscaler;
  /** The ScaledObject, when the file held one. */
  keda?: KedaScaledObject;
}

/**
 * Reads a text file or fails with a usage error naming the path.
 *
 * @param path - file path
 * @returns the text
 */
export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT'
        ? `file not found: ${path}`
        : `cannot read ${path}: ${(error as Error).message}`,
      ExitCode.Usage,
    );
  }
}

/**
 * Loads every HorizontalPodAutoscaler (and KEDA ScaledObject) in a YAML file.
 *
 * @param path - a manifest file, possibly with several documents
 * @returns the HPAs found
 * @throws CliError (usage) when the file has none or does not parse
 */
export function loadHpas(path: string): LoadedHpa[] {
  const docs = parseAllDocuments(readText(path));
  const found: LoadedHpa[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) {
      throw new CliError(`${path}: invalid YAML: ${doc.errors[0]?.message}`, ExitCode.Usage);
    }
    const value = doc.toJS() as { kind?: string; metadata?: { name?: string } } | null;
    if (!value || typeof value !== 'object') continue;
    if (value.kind === 'HorizontalPodAutoscaler') {
      found.push({
        label: `${value.metadata?.name ?? 'hpa'} (${basename(path)})`,
        hpa: value as HorizontalPodAutoscaler,
      });
    } else if (value.kind === 'ScaledObject') {
      const so = readScaledObject(value);
      if (!so.ok) throw new CliError(`${path}: ${so.error}`, ExitCode.Usage);
      found.push({
        label: `${so.value.name} (${basename(path)}, KEDA)`,
        hpa: hpaFromScaledObject(so.value),
        keda: so.value,
      });
    }
  }
  if (found.length === 0) {
    throw new CliError(
      `${path}: no HorizontalPodAutoscaler or ScaledObject in this file`,
      ExitCode.Usage,
    );
  }
  return found;
}

/**
 * Loads prometheus-adapter Helm values.
 *
 * @param path - the values file
 * @returns the parsed values
 * @throws CliError (usage) with the parser's message
 */
export function loadAdapterValues(path: string): AdapterValues {
  const result = parseAdapterValues(readText(path));
  if (!result.ok) throw new CliError(`${path}: ${result.error}`, ExitCode.Usage);
  return result.value;
}

/** The examples that ship inside this package (`examples/` beside `dist/`, or beside `src/` in a checkout). */
export const EXAMPLES_DIR =
  ['../examples/', '../../examples/']
    .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
    .find((dir) => existsSync(join(dir, 'step-load.csv'))) ??
  'node_modules/@mlscale/autoscale/examples/';

/**
 * The usage error of a missing file flag: nothing defaults to a repository layout, so a command
 * that needs a file says which flag to pass, and where the package's own example of it is.
 *
 * @param flag - the flag that sets it, e.g. `--hpa`
 * @param example - the example's name under `examples/`, e.g. `guide-hpa.yaml`
 * @throws CliError (usage), always
 */
export function missingFileFlag(flag: string, example: string): never {
  throw new CliError(
    `${flag} <file> is required (an example ships with this package: ${flag} ${join(EXAMPLES_DIR, example)})`,
    ExitCode.Usage,
  );
}

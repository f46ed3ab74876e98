/**
 * Labels fixed for the life of the process (`model`, `version`), added to every `gpu_*` series.
 * The same rules as `checkConstLabels` in @mlscale/metrics, written here because that package
 * needs Hono as a peer and a GPU probe must not.
 */

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label names the `gpu_*` metrics set themselves. */
export const OWN_LABELS = ['gpu', 'uuid', 'reason'] as const;

/**
 * Checks `constLabels`: valid Prometheus label names, none the metrics set themselves (`gpu`,
 * `uuid`, `reason`, `le`, `quantile`), string values. Throws a TypeError saying which otherwise.
 *
 * @param constLabels - label name to value; `undefined` means none
 * @returns the label names, sorted
 * @example checkConstLabels({ model: 'resnet50', version: '3' }); // ['model', 'version']
 */
export function checkConstLabels(
  constLabels: Readonly<Record<string, string>> | undefined,
): string[] {
  if (constLabels === undefined) return [];
  if (typeof constLabels !== 'object' || constLabels === null || Array.isArray(constLabels)) {
    throw new TypeError('gpu-probe: constLabels must be an object of label name to string value');
  }
  const names = Object.keys(constLabels).sort();
  for (const name of names) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      throw new TypeError(`gpu-probe: constLabels: "${name}" is not a valid Prometheus label name`);
    }
    if ((OWN_LABELS as readonly string[]).includes(name) || name === 'le' || name === 'quantile') {
      throw new TypeError(
        `gpu-probe: constLabels: "${name}" is set by the gpu_* metrics themselves; choose another name`,
      );
    }
    if (typeof constLabels[name] !== 'string') {
      throw new TypeError(`gpu-probe: constLabels: the value of "${name}" must be a string`);
    }
  }
  return names;
}

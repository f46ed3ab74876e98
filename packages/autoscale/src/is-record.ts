/**
 * Whether parsed YAML or JSON is a mapping (an object, not an array or null).
 *
 * @param value - anything parsed
 * @example
 * isRecord({ a: 1 }); // true
 * isRecord([1]); // false
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

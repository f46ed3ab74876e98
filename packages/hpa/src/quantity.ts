/**
 * Kubernetes resource quantities ("200m", "10", "1.5k", "2Ki", "1e3"), as the HPA reads them.
 *
 * The HPA controller works in integer milli-units: it calls `Quantity.MilliValue()` on every
 * target and every metric value, and the replica math divides those integers
 * (`pkg/controller/podautoscaler/metrics/utilization.go`). We do the same so that the rounding
 * matches upstream.
 */

const DECIMAL_SUFFIXES: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const BINARY_SUFFIXES: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY_RE =
  /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

/**
 * Parses a Kubernetes quantity into a plain number.
 *
 * @param quantity - a quantity string such as `"200m"` or `"10"`, or a number (returned as is)
 * @returns the value as a number (`"200m"` → `0.2`)
 * @throws Error with the offending text when the quantity is not valid
 * @example
 * parseQuantity('200m'); // 0.2
 */
export function parseQuantity(quantity: string | number): number {
  if (typeof quantity === 'number') {
    if (!Number.isFinite(quantity)) throw new Error(`invalid quantity: ${quantity}`);
    return quantity;
  }
  const text = quantity.trim();
  const match = QUANTITY_RE.exec(text);
  if (!match) {
    throw new Error(
      `invalid quantity "${quantity}": expected a number with an optional suffix (m, k, M, Ki, Mi, ...), e.g. "200m" or "10"`,
    );
  }
  const base = Number(match[1]);
  if (match[2]) return base * 10 ** Number(match[2].slice(1));
  const suffix = match[3] ?? '';
  const factor = BINARY_SUFFIXES[suffix] ?? DECIMAL_SUFFIXES[suffix] ?? 1;
  return base * factor;
}

/**
 * Converts a value to integer milli-units the way the metrics pipeline does: prometheus-adapter
 * builds `NewMilliQuantity(int64(value*1000))` (truncation), and the HPA reads `MilliValue()`.
 *
 * @param value - the metric value in its own unit (for example seconds)
 * @returns the value in milli-units, truncated toward zero
 * @example
 * toMilli(0.2); // 200 (not 200.00000000000003)
 */
export function toMilli(value: number): number {
  // Round at 1e-6 first so that 0.2 * 1000 = 200.00000000000003 does not leak into the integer.
  return Math.trunc(Number((value * 1000).toFixed(6)));
}

/**
 * Converts a target quantity to milli-units as `Quantity.MilliValue()` does (rounding up).
 *
 * @param quantity - a Kubernetes quantity such as `"200m"`
 * @returns the quantity in milli-units, rounded up
 * @example
 * quantityToMilli('200m'); // 200
 */
export function quantityToMilli(quantity: string | number): number {
  return Math.ceil(Number((parseQuantity(quantity) * 1000).toFixed(6)));
}

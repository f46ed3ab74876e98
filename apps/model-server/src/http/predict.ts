// POST /predict: the reference guide's contract, {"features": [...]} → {"prediction": [...], "latency_ms"}.
import type { Handler } from 'hono';
import { toJsonValues } from '../inference/tensors.js';
import { describe, isObject, problem } from './body.js';
import type { IntakeVariables } from './intake.js';
import { runModel, type Serving } from './serving.js';
import { toTypedArray } from './values.js';

/** Response header saying how `features` was fitted to the model, e.g. `padded 5->768`. */
export const ADJUSTED_HEADER = 'X-Input-Adjusted';

/** Options of {@link predictHandler}. */
export interface PredictOptions {
  serving: Serving;
  /** Reject `features` of any other length than the model's instead of padding or truncating. */
  strict: boolean;
}

/**
 * The guide's `/predict`. Like the guide, a shorter `features` list is zero-padded and a longer one
 * truncated to the model's input width, and the response says so in `X-Input-Adjusted`; with
 * `strict` any other length is a 400. `latency_ms` is the model's time for the batch the request
 * ran in. The body has been read and parsed before (`bodyIntake`).
 */
export function predictHandler({
  serving,
  strict,
}: PredictOptions): Handler<{ Variables: IntakeVariables }> {
  const { predict: target, name } = serving.model;
  return async function predict(c) {
    const body = c.get('json');
    if (!target.ok) {
      return problem(c, 400, `${target.reason}; use POST /v2/models/${name}/infer`);
    }
    if (!isObject(body)) {
      return problem(
        c,
        400,
        `body must be a JSON object like {"features": [0.1, 0.2]}, got ${describe(body)}`,
      );
    }
    const features = body.features;
    if (features === undefined)
      return problem(c, 400, 'missing \'features\': send {"features": [numbers]}');
    if (!Array.isArray(features)) {
      return problem(c, 400, `'features' must be an array of numbers, got ${describe(features)}`);
    }
    if (features.length === 0) return problem(c, 400, "'features' is empty");
    const width = target.rowSize;
    if (strict && features.length !== width) {
      return problem(
        c,
        400,
        `'features' must have ${width} values, got ${features.length} (PREDICT_STRICT is on)`,
      );
    }
    const converted = toTypedArray(target.input.type, features, width, 'features');
    if (!converted.ok) return problem(c, 400, converted.error);

    const result = await runModel(c, serving, {
      [target.input.name]: {
        type: target.input.type,
        dims: [1, ...target.rowDims],
        data: converted.data,
      },
    });
    if (result instanceof Response) return result;
    const output = result.outputs[target.output.name];
    if (!output) return problem(c, 500, `the model returned no output '${target.output.name}'`);
    if (features.length !== width) {
      const how = features.length < width ? 'padded' : 'truncated';
      c.header(ADJUSTED_HEADER, `${how} ${features.length}->${width}`);
    }
    return c.json({
      prediction: toJsonValues(output),
      latency_ms: Math.round(result.seconds * 1e6) / 1e3,
    });
  };
}

// The Open Inference Protocol (KServe v2 / Triton HTTP): model metadata and infer.
import type { Context, Handler, MiddlewareHandler } from 'hono';
import type { TensorSpec } from '../inference/protocol.js';
import { elementCount, OIP_DATATYPE, type TensorData, toJsonValues } from '../inference/tensors.js';
import type { ServedModel } from '../model.js';
import { describe, isObject, problem } from './body.js';
import type { IntakeVariables } from './intake.js';
import { runModel, type Serving } from './serving.js';
import { toTypedArray } from './values.js';

/**
 * Longest `id` a v2 request may carry, echoed back in its answer: a request id (a UUID is 36
 * characters, a W3C trace id 32) with room to spare, and no way to make the server write back
 * most of the body limit.
 */
export const MAX_ID_LENGTH = 256;
/** A tensor's metadata as the protocol spells it: symbolic dimensions are -1. */
function tensorMetadata(spec: TensorSpec) {
  return {
    name: spec.name,
    datatype: OIP_DATATYPE[spec.type],
    shape: spec.shape.map((d) => (typeof d === 'number' ? d : -1)),
  };
}

/** The model metadata response of `GET /v2/models/{name}`. */
export function modelMetadata(model: ServedModel) {
  return {
    name: model.name,
    versions: [model.version],
    platform: 'onnxruntime_onnx',
    inputs: model.signature.inputs.map(tensorMetadata),
    outputs: model.signature.outputs.map(tensorMetadata),
  };
}

/**
 * Answers 404 unless the path names the served model (and, when given, its version); returns
 * undefined when it does.
 */
export function checkModel(c: Context, model: ServedModel): Response | undefined {
  const name = c.req.param('name');
  if (name !== model.name) {
    return problem(
      c,
      404,
      `model '${name}' is not served here; this server serves '${model.name}'`,
    );
  }
  const version = c.req.param('version');
  if (version !== undefined && version !== model.version) {
    return problem(
      c,
      404,
      `model '${name}' has no version '${version}'; it has '${model.version}'`,
    );
  }
  return undefined;
}

type Flat = { ok: true; values: unknown[] } | { ok: false; error: string };

/**
 * The row-major values of `data` for a tensor of `shape`: `data` is flat, or nested along the
 * shape's leading dimensions with every array at one level as long as its dimension (ragged rows
 * are refused, not concatenated). `path` names the array in errors (`data[1]`).
 */
function flatten(data: unknown[], shape: readonly number[], path: string): Flat {
  if (!data.some(Array.isArray)) return { ok: true, values: data };
  const [dim, ...rest] = shape;
  if (dim === undefined || rest.length === 0) {
    return { ok: false, error: `${path} is nested deeper than the shape` };
  }
  if (data.length !== dim) {
    return {
      ok: false,
      error: `${path} has ${data.length} rows; the shape needs ${dim} there (ragged data)`,
    };
  }
  const perRow = elementCount(rest);
  const values: unknown[] = [];
  for (const [i, item] of data.entries()) {
    if (!Array.isArray(item)) {
      return {
        ok: false,
        error: `${path}[${i}] is ${describe(item)}; nested data needs an array in every row`,
      };
    }
    const inner = flatten(item, rest, `${path}[${i}]`);
    if (!inner.ok) return inner;
    if (inner.values.length !== perRow) {
      return {
        ok: false,
        error: `${path}[${i}] has ${inner.values.length} values; the shape needs ${perRow} per row (ragged data)`,
      };
    }
    for (const v of inner.values) values.push(v);
  }
  return { ok: true, values };
}

/** A value a client sent, for an error message: a short quoted string, else its kind. */
function quote(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : describe(value);
}

/** Middleware answering 404 for a path that names another model, before the body is read. */
export function modelCheck(model: ServedModel): MiddlewareHandler {
  return async function modelCheck(c, next) {
    const wrong = checkModel(c, model);
    if (wrong) return wrong;
    await next();
  };
}

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Checks one entry of `inputs` against the model's input of the same name. */
function parseInput(raw: Record<string, unknown>, spec: TensorSpec): Parsed<TensorData> {
  const name = spec.name;
  const expected = OIP_DATATYPE[spec.type];
  if (raw.datatype !== expected) {
    return {
      ok: false,
      error: `input '${name}' has datatype ${quote(raw.datatype)}; the model takes ${expected}`,
    };
  }
  const shape = raw.shape;
  const wanted = `[${tensorMetadata(spec).shape.join(', ')}]`;
  if (
    !Array.isArray(shape) ||
    !shape.every((d): d is number => typeof d === 'number' && Number.isInteger(d) && d >= 0)
  ) {
    return {
      ok: false,
      error: `input '${name}' needs 'shape', an array of whole numbers like ${wanted}`,
    };
  }
  const fits =
    shape.length === spec.shape.length &&
    spec.shape.every((d, i) => typeof d !== 'number' || d === shape[i]);
  if (!fits) {
    return {
      ok: false,
      error: `input '${name}' has shape [${shape.join(', ')}]; the model takes ${wanted} (-1: any)`,
    };
  }
  const count = elementCount(shape);
  if (count === 0)
    return { ok: false, error: `input '${name}' is empty (shape [${shape.join(', ')}])` };
  if (!Array.isArray(raw.data)) {
    return {
      ok: false,
      error: `input '${name}' needs 'data', an array, got ${describe(raw.data)}`,
    };
  }
  const flat = flatten(raw.data, shape, 'data');
  if (!flat.ok) return { ok: false, error: `input '${name}' ${flat.error}` };
  if (flat.values.length !== count) {
    return {
      ok: false,
      error: `input '${name}' has ${flat.values.length} values; shape [${shape.join(', ')}] needs ${count}`,
    };
  }
  const converted = toTypedArray(spec.type, flat.values, count, `input '${name}' data`);
  if (!converted.ok) return converted;
  return { ok: true, value: { type: spec.type, dims: shape, data: converted.data } };
}

/** Validates the whole inference request and builds the feeds. */
function parseRequest(
  body: unknown,
  model: ServedModel,
): Parsed<{ id: string | undefined; feeds: Record<string, TensorData>; outputs: TensorSpec[] }> {
  if (!isObject(body))
    return { ok: false, error: `body must be a JSON object, got ${describe(body)}` };
  const { id, inputs, outputs } = body;
  if (id !== undefined && typeof id !== 'string') {
    return { ok: false, error: `'id' must be a string, got ${describe(id)}` };
  }
  if (typeof id === 'string' && id.length > MAX_ID_LENGTH) {
    return {
      ok: false,
      error: `'id' must be at most ${MAX_ID_LENGTH} characters, got ${id.length}`,
    };
  }
  if (!Array.isArray(inputs) || inputs.length === 0) {
    return { ok: false, error: `'inputs' must be a non-empty array, got ${describe(inputs)}` };
  }
  const specs = new Map(model.signature.inputs.map((s) => [s.name, s]));
  const feeds: Record<string, TensorData> = {};
  for (const [i, raw] of inputs.entries()) {
    if (!isObject(raw))
      return { ok: false, error: `inputs[${i}] must be an object, got ${describe(raw)}` };
    const spec = typeof raw.name === 'string' ? specs.get(raw.name) : undefined;
    if (!spec) {
      const known = [...specs.keys()].join(', ');
      return {
        ok: false,
        error: `inputs[${i}] names ${quote(raw.name)}; the model's inputs are: ${known}`,
      };
    }
    if (feeds[spec.name]) return { ok: false, error: `input '${spec.name}' is given twice` };
    const parsed = parseInput(raw, spec);
    if (!parsed.ok) return parsed;
    feeds[spec.name] = parsed.value;
  }
  for (const spec of model.signature.inputs) {
    if (!feeds[spec.name]) return { ok: false, error: `missing input '${spec.name}'` };
  }
  if (model.batchable) {
    const batches = new Set(Object.values(feeds).map((t) => t.dims[0]));
    if (batches.size > 1)
      return { ok: false, error: 'inputs disagree on the batch (first) dimension' };
  }
  let wanted = model.signature.outputs;
  if (outputs !== undefined) {
    if (!Array.isArray(outputs))
      return { ok: false, error: `'outputs' must be an array, got ${describe(outputs)}` };
    const byName = new Map(model.signature.outputs.map((s) => [s.name, s]));
    wanted = [];
    for (const [i, o] of outputs.entries()) {
      const spec = isObject(o) && typeof o.name === 'string' ? byName.get(o.name) : undefined;
      if (!spec) {
        const known = [...byName.keys()].join(', ');
        return {
          ok: false,
          error: `outputs[${i}] names no output of the model; its outputs are: ${known}`,
        };
      }
      if (wanted.includes(spec)) {
        return {
          ok: false,
          error: `outputs[${i}] names '${spec.name}' again; name each output once`,
        };
      }
      wanted.push(spec);
    }
  }
  return { ok: true, value: { id, feeds, outputs: wanted } };
}

/**
 * `POST /v2/models/{name}[/versions/{version}]/infer`. The body has been read and parsed before
 * (`bodyIntake`); mount {@link modelCheck} ahead of that so a wrong model is a 404 unread.
 */
export function inferHandler({
  serving,
}: {
  serving: Serving;
}): Handler<{ Variables: IntakeVariables }> {
  const { model } = serving;
  return async function infer(c) {
    const wrongModel = checkModel(c, model);
    if (wrongModel) return wrongModel;
    const request = parseRequest(c.get('json'), model);
    if (!request.ok) return problem(c, 400, request.error);
    const result = await runModel(c, serving, request.value.feeds);
    if (result instanceof Response) return result;
    const outputs = [];
    for (const spec of request.value.outputs) {
      const t = result.outputs[spec.name];
      if (!t) return problem(c, 500, `the model returned no output '${spec.name}'`);
      outputs.push({
        name: spec.name,
        datatype: OIP_DATATYPE[t.type],
        shape: t.dims,
        data: toJsonValues(t),
      });
    }
    return c.json({
      model_name: model.name,
      model_version: model.version,
      ...(request.value.id === undefined ? {} : { id: request.value.id }),
      outputs,
    });
  };
}

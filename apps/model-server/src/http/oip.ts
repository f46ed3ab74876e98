// The Open Inference Protocol (KServe v2 / Triton HTTP): model metadata and infer.
import type { Context, Handler } from 'hono';
import type { TensorSpec } from '../inference/protocol.js';
import { elementCount, OIP_DATATYPE, type TensorData, toJsonValues } from '../inference/tensors.js';
import type { ServedModel } from '../model.js';
import { describe, isObject, problem, readJson } from './body.js';
import { runModel, type Serving } from './serving.js';
import { toTypedArray } from './values.js';

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

/** Flattens row-major nested arrays, at most `depth` levels deep; undefined when deeper. */
function flatten(data: unknown[], depth: number): unknown[] | undefined {
  if (!data.some(Array.isArray)) return data;
  if (depth <= 1) return undefined;
  const out: unknown[] = [];
  for (const item of data) {
    if (!Array.isArray(item)) {
      out.push(item);
      continue;
    }
    const inner = flatten(item, depth - 1);
    if (inner === undefined) return undefined;
    for (const v of inner) out.push(v);
  }
  return out;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Checks one entry of `inputs` against the model's input of the same name. */
function parseInput(raw: Record<string, unknown>, spec: TensorSpec): Parsed<TensorData> {
  const name = spec.name;
  const expected = OIP_DATATYPE[spec.type];
  if (raw.datatype !== expected) {
    return {
      ok: false,
      error: `input '${name}' has datatype ${JSON.stringify(raw.datatype ?? null)}; the model takes ${expected}`,
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
  const flat = flatten(raw.data, shape.length);
  if (flat === undefined) {
    return { ok: false, error: `input '${name}' has data nested deeper than its shape` };
  }
  if (flat.length !== count) {
    return {
      ok: false,
      error: `input '${name}' has ${flat.length} values; shape [${shape.join(', ')}] needs ${count}`,
    };
  }
  const converted = toTypedArray(spec.type, flat, count, `input '${name}' data`);
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
        error: `inputs[${i}] names ${JSON.stringify(raw.name ?? null)}; the model's inputs are: ${known}`,
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
      wanted.push(spec);
    }
  }
  return { ok: true, value: { id, feeds, outputs: wanted } };
}

/** `POST /v2/models/{name}[/versions/{version}]/infer`. */
export function inferHandler({
  serving,
  nextTurn,
}: {
  serving: Serving;
  /** Awaited before parsing the body (see `turnBarrier`). */
  nextTurn?: () => Promise<void>;
}): Handler {
  const { model } = serving;
  return async function infer(c: Context) {
    const wrongModel = checkModel(c, model);
    if (wrongModel) return wrongModel;
    const body = await readJson(c, nextTurn);
    if (!body.ok) return problem(c, body.status, body.error);
    const request = parseRequest(body.value, model);
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

// What the inference routes share: the model, the pool, the model-time metric.
import type { InferenceMetrics } from '@mlscale/metrics';
import { queueTicket } from '@mlscale/queue-gauge';
import type { Context } from 'hono';
import { InferenceError, type InferencePool, type InferenceResult } from '../inference/pool.js';
import type { TensorData } from '../inference/tensors.js';
import type { ServedModel } from '../model.js';
import { problem } from './body.js';

/** The loaded model and what runs it. */
export interface Serving {
  model: ServedModel;
  pool: InferencePool;
  /** `inference_latency_seconds`: observed per request with its batch's run time. */
  inference: InferenceMetrics;
}

/** Runs `feeds` through the pool; a failure becomes the response to send. */
export async function runModel(
  c: Context,
  serving: Serving,
  feeds: Record<string, TensorData>,
): Promise<InferenceResult | Response> {
  try {
    const ticket = queueTicket(c);
    const result = await serving.pool.infer(feeds, { onStart: ticket && (() => ticket.started()) });
    serving.inference.observe(result.seconds);
    return result;
  } catch (error) {
    if (error instanceof InferenceError) {
      return problem(
        c,
        error.code === 'closed' || error.code === 'no_worker' ? 503 : 500,
        error.message,
      );
    }
    throw error;
  }
}

/**
 * Validation of capacity profiles (the JSON `mlscale calibrate` writes), with zod: the schema is
 * checked against the {@link CapacityProfile} type at compile time, and a bad file gets one message
 * per problem naming the field (`steps[3].latency.p95: ...`).
 */
import { z } from 'zod';
import { CAPACITY_PROFILE_SCHEMA, type CapacityProfile } from './profile.js';

const seconds = z.number().finite().nonnegative();
const count = z.number().int().nonnegative();
const rate = z.number().finite().nonnegative();
const nullableSeconds = z.number().finite().nonnegative().nullable();

const latencySchema = z
  .object({ p50: seconds, p95: seconds, p99: seconds, mean: seconds, max: seconds })
  .refine((l) => l.p50 <= l.p95 && l.p95 <= l.p99, {
    message: 'percentiles must not decrease (p50 <= p95 <= p99)',
  });

const stepSchema = z.object({
  offeredRps: rate,
  achievedRps: rate,
  durationSeconds: z.number().finite().positive(),
  sent: count,
  ok: count,
  rejected: count,
  errors: count,
  latency: latencySchema,
  server: z.object({
    meanQueueDepth: z.number().finite().nonnegative().nullable(),
    meanWaitSeconds: nullableSeconds,
    meanBatchSize: z.number().finite().nonnegative().nullable(),
    meanInferenceSeconds: nullableSeconds,
  }),
  saturated: z.boolean(),
  saturatedBecause: z.string().optional(),
  sendLagP99Seconds: seconds.optional(),
});

/** The zod schema of a capacity profile (`mlscale.dev/capacity-profile/v1`). */
export const capacityProfileSchema = z
  .object({
    schema: z.literal(CAPACITY_PROFILE_SCHEMA),
    measuredAt: z.string(),
    target: z.object({
      url: z.string(),
      bodyBytes: count,
      bodySha256: z.string(),
      model: z.string().nullable(),
      emulatedDevice: z.object({ batchMs: seconds, rowMs: seconds }).nullable(),
    }),
    ramp: z.object({
      startRps: rate,
      stepRps: rate,
      stepSeconds: seconds,
      warmupSeconds: seconds,
      timeoutSeconds: seconds,
      refineSteps: count.optional(),
      endedBy: z.enum(['saturation', 'interrupted', 'max-rps', 'max-steps']).optional(),
    }),
    steps: z.array(stepSchema).min(1, 'a profile needs at least one step'),
    maxSustainableRps: z.number().finite().positive(),
    saturationRps: z.number().finite().positive().nullable(),
    peakAchievedRps: z.number().finite().positive().optional(),
    shedding: z
      .object({ concurrency: z.number().positive(), maxWaiting: count })
      .nullable()
      .optional(),
  })
  .superRefine((profile, context) => {
    profile.steps.forEach((step, i) => {
      const previous = profile.steps[i - 1];
      if (previous && !(step.offeredRps > previous.offeredRps)) {
        context.addIssue({
          code: 'custom',
          path: ['steps', i, 'offeredRps'],
          message: `steps must be in increasing offeredRps (${step.offeredRps} after ${previous.offeredRps})`,
        });
      }
    });
    if (!profile.steps.some((step) => !step.saturated && step.achievedRps > 0)) {
      context.addIssue({
        code: 'custom',
        path: ['steps'],
        message:
          'no unsaturated step with traffic: the profile says nothing about latency below capacity',
      });
    }
  }) satisfies z.ZodType<CapacityProfile>;

/** What {@link validateCapacityProfile} returns. */
export type ProfileValidation =
  | { ok: true; value: CapacityProfile }
  | { ok: false; errors: string[] };

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(profile)' : out;
}

/**
 * Checks a parsed JSON value against the capacity-profile schema.
 *
 * @param value - the parsed JSON
 * @returns the profile, or one message per problem (`steps[2].latency.p95: expected number, received string`)
 * @example
 * const checked = validateCapacityProfile(JSON.parse(text));
 * if (!checked.ok) console.error(checked.errors.join('\n'));
 */
export function validateCapacityProfile(value: unknown): ProfileValidation {
  const parsed = capacityProfileSchema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
  };
}

/**
 * Parses and validates a capacity profile from JSON text.
 *
 * @param text - the file's text
 * @returns the profile, or the errors (JSON syntax or schema)
 * @example
 * parseCapacityProfile(readFileSync('pod.profile.json', 'utf8'));
 */
export function parseCapacityProfile(text: string): ProfileValidation {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, errors: [`not JSON: ${(error as Error).message}`] };
  }
  if (
    typeof value === 'object' &&
    value !== null &&
    'schema' in value &&
    value.schema !== CAPACITY_PROFILE_SCHEMA
  ) {
    return {
      ok: false,
      errors: [
        `schema is ${JSON.stringify(value.schema)}; this version of mlscale reads ${CAPACITY_PROFILE_SCHEMA}`,
      ],
    };
  }
  return validateCapacityProfile(value);
}

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { podModel } from '../capacity/model.js';
import type { CapacityProfile } from '../capacity/profile.js';
import { clairvoyantBound, formatBoundLines } from './clairvoyant.js';
import { readLoad } from './requests.js';

const profile = JSON.parse(
  readFileSync(new URL('../../examples/capacity/e2e-pod.profile.json', import.meta.url), 'utf8'),
) as CapacityProfile;
const slo = { statistic: 'p95', seconds: 0.2 } as const;

describe('the clairvoyant bound', () => {
  it('runs ⌈mean rate ÷ the SLO rate⌉ pods per 10 s', () => {
    const pod = podModel(profile);
    // the pod meets p95 = 200 ms up to 23.75 req/s: 47.5 needs 2 pods, 47.6 needs 3
    const bound = clairvoyantBound(
      pod,
      {
        points: [
          { time: 0, rps: 47.4 },
          { time: 10, rps: 48 },
          { time: 25, rps: 0 },
        ],
      },
      slo,
    );
    expect(bound).toMatchObject({ replicaSeconds: 2 * 10 + 3 * 10 + 3 * 5, maxReplicas: 3 });
    expect(formatBoundLines([{ name: 'a', replicaSeconds: 130 }], bound)[1]).toBe(
      '  a: 130 replica-seconds, 2.00× the bound',
    );
  });

  it("gives the issue's 18,110 replica-seconds on the Azure conversation trace at ×20", () => {
    const text = gunzipSync(
      readFileSync(
        new URL('../../data/traces/azure-llm-inference-2023-conv.csv.gz', import.meta.url),
      ),
    ).toString('utf8');
    const { load, requests } = readLoad(text, { rateScale: 20 });
    expect(requests).toBe(19366);
    expect(clairvoyantBound(podModel(profile), load, slo)).toMatchObject({
      replicaSeconds: 18110,
      maxReplicas: 9,
    });
  });

  it('gives 3,000 replica-seconds on the bursty code trace at ×6 (its peak bin at the same 196 req/s)', () => {
    const text = gunzipSync(
      readFileSync(
        new URL('../../data/traces/azure-llm-inference-2023-code.csv.gz', import.meta.url),
      ),
    ).toString('utf8');
    const { load, requests } = readLoad(text, { rateScale: 6 });
    expect(requests).toBe(8819);
    expect(Math.max(...load.points.map((p) => p.rps))).toBeCloseTo(196.2, 6);
    expect(clairvoyantBound(podModel(profile), load, slo)).toMatchObject({
      replicaSeconds: 3000,
      maxReplicas: 9,
    });
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { infraDir, readInfra } from './helpers.js';

// @mlscale/autoscale ships copies of these files as examples (packages/autoscale/examples): they
// must stay what infra/ deploys.
const examples = join(infraDir, '../packages/autoscale/examples');
const docs = (text: string) => parseAllDocuments(text).map((doc) => doc.toJS());

describe('the examples shipped in @mlscale/autoscale', () => {
  it.each([
    ['project/deployment.yaml', 'base/deployment.yaml'],
    ['project/service.yaml', 'base/service.yaml'],
    ['project/servicemonitor.yaml', 'base/servicemonitor.yaml'],
    ['project/hpa.yaml', 'base/hpa.yaml'],
    ['project/prometheus-adapter-values.yaml', 'helm/prometheus-adapter-values.yaml'],
    ['project/kube-prometheus-stack-values.yaml', 'helm/kube-prometheus-stack-values.yaml'],
    ['project/metrics.txt', 'test/fixtures/metrics-cpu.txt'],
    ['guide-hpa.yaml', 'hpa/guide-hpa.yaml'],
  ])('examples/%s is infra/%s', (example, source) => {
    const copy = readFileSync(join(examples, example), 'utf8');
    if (example.endsWith('.txt')) expect(copy).toBe(readInfra(source));
    else expect(docs(copy)).toEqual(docs(readInfra(source)));
  });
});

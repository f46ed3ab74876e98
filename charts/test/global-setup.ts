/**
 * helm for the chart's tests: HELM_BIN, the cluster's binary cache (tools/cluster), or PATH; without
 * one, built once from helm.sh/helm/v4 with Go into that cache (tools/cluster/scripts/build-binaries.sh,
 * helm alone). Without Go either, the run fails here saying what to install: no test is skipped.
 */
import { ensureHelm } from '@mlscale/cluster';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    helm: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const helm = await ensureHelm((line) => console.log(`[helm] ${line}`));
  project.provide('helm', helm);
}

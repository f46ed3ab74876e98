/** The chain check: every link from the workload's `/metrics` to the Deployment the HPA scales. */
import { type AdapterValues, readAdapterValues } from '../adapter/rules.js';
import { type AdapterFindings, checkAdapter } from './adapter.js';
import { contextOf } from './context.js';
import { parseExposition } from './exposition.js';
import { checkHpas } from './hpa.js';
import { checkKeda } from './keda.js';
import { checkMonitoring } from './monitoring.js';
import { workloadIdentity } from './series.js';
import type { ChainInput, ChainLink, ChainReport } from './types.js';
import { checkWorkload } from './workload.js';

/**
 * Checks every link of the autoscaling chain, from the workload's `/metrics` to the Deployment
 * the HPA (or KEDA) scales, and says for each whether it holds and how to fix it. A link it
 * cannot verify with the input given is `skipped` with the reason, never `broken`. Pure: it reads
 * only its input, so tests and the `mlscale check` command share it.
 *
 * @param input - the manifests, Helm values, (optionally) a `/metrics` body, and the assumptions
 * @returns every link, `ok: false` when any is broken
 * @example
 * const report = checkChain({ manifests, adapterValues, prometheusStackValues, exposition });
 * for (const link of report.links) console.log(link.status, link.subject, link.detail);
 */
export function checkChain(input: ChainInput): ChainReport {
  const links: ChainLink[] = [];
  const ctx = contextOf(input, { add: (link) => links.push(link) });
  const exposition = input.exposition === undefined ? undefined : parseExposition(input.exposition);
  checkWorkload(ctx);
  checkMonitoring(ctx);
  let values: AdapterValues | undefined;
  if (input.adapterValues !== undefined) {
    const read = readAdapterValues(input.adapterValues);
    if (read.ok) values = read.value;
    else
      ctx.out.add({
        link: 'adapter-values',
        subject: 'prometheus-adapter values',
        status: 'broken',
        detail: read.error,
      });
  }
  let adapter: AdapterFindings | undefined;
  if (values) adapter = checkAdapter(ctx, values, exposition, workloadIdentity(ctx));
  checkHpas(ctx, adapter, exposition === undefined);
  checkKeda(ctx, exposition);
  return { ok: links.every((link) => link.status !== 'broken'), links };
}

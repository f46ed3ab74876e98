/**
 * The real HPA controller against the port (@mlscale/hpa's HpaController), sync by sync.
 *
 * Every status the real controller writes is one of its syncs: the metric averages it read
 * (`status.currentMetrics`), the replicas it started from (the scale's `spec.replicas`, i.e. the
 * previous sync's desired count) and what it decided (`status.desiredReplicas`). At that moment the
 * observer lists the pods and asks the custom metrics API which of them have values (pods without
 * one are the calculator's "missing" pods), and gives the port the same: the real sync's averages
 * for the pods with values, the same replica count, and the port's own recommendation history,
 * kept since the first sync. A sync whose status is unchanged writes nothing and is not seen; a
 * recommendation equal to the last one changes neither side's stabilization.
 */
import {
  AutoscalingV2Api,
  CoreV1Api,
  KubeConfig,
  makeInformer,
  type V1Pod,
  type V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import {
  type HorizontalPodAutoscaler,
  HpaController,
  type HpaDecision,
  type PodInfo,
  parseQuantity,
} from '@mlscale/hpa';
import { isPodReady, kubectl } from './kube.js';

/** kube-controller-manager's --horizontal-pod-autoscaler-sync-period, as cluster:up sets it. */
const SYNC_PERIOD_SECONDS = 15;

/** One observed sync of the real controller, and the port's decision on the same inputs. */
export interface ObservedSync {
  /** Seconds since the observer started, on the controller's cadence. */
  time: number;
  /** Epoch milliseconds when the observer saw it. */
  seenAt: number;
  currentReplicas: number;
  /** Per metric: the average the real controller read (absent: it had none). */
  averages: Record<string, number>;
  pods: PodInfo[];
  /** Pods with a value in the custom metrics API at the sync. */
  podsWithMetrics: string[];
  real: number;
  port: HpaDecision;
  agree: boolean;
  /** `<unknown>` targets in the real status (a metric in the spec with no current value). */
  unknownTargets: string[];
  allPodsReady: boolean;
}

/** Observes one HPA; `stop()` ends it. */
export class HpaObserver {
  readonly syncs: ObservedSync[] = [];
  private readonly started = Date.now();
  private lastDesired: number | undefined;
  private firstSync: number | undefined;
  private lastKey = '';
  private readonly port: HpaController;
  private readonly kubeconfig = new KubeConfig();
  private readonly hpaInformer;
  private readonly podInformer;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    kubeconfigFile: string,
    private readonly namespace: string,
    private readonly name: string,
    private readonly spec: HorizontalPodAutoscaler,
    private readonly selector: string,
    private readonly onSync: (sync: ObservedSync) => void = () => {},
  ) {
    this.kubeconfig.loadFromFile(kubeconfigFile);
    this.port = new HpaController(spec);
    const autoscaling = this.kubeconfig.makeApiClient(AutoscalingV2Api);
    const core = this.kubeconfig.makeApiClient(CoreV1Api);
    this.hpaInformer = makeInformer<V2HorizontalPodAutoscaler>(
      this.kubeconfig,
      `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers`,
      () => autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }),
    );
    this.podInformer = makeInformer<V1Pod>(
      this.kubeconfig,
      `/api/v1/namespaces/${namespace}/pods`,
      () => core.listNamespacedPod({ namespace, labelSelector: selector }),
      selector,
    );
  }

  async start(): Promise<void> {
    await this.podInformer.start();
    this.hpaInformer.on('add', (hpa) => this.enqueue(hpa));
    this.hpaInformer.on('update', (hpa) => this.enqueue(hpa));
    await this.hpaInformer.start();
  }

  async stop(): Promise<void> {
    await this.hpaInformer.stop();
    await this.podInformer.stop();
    await this.queue;
  }

  /** Syncs where both decided, and how many agreed. */
  agreement(): { agreeing: number; total: number; disagreements: ObservedSync[] } {
    const decided = this.syncs.filter((s) => Object.keys(s.averages).length > 0);
    const disagreements = decided.filter((s) => !s.agree);
    return {
      agreeing: decided.length - disagreements.length,
      total: decided.length,
      disagreements,
    };
  }

  private enqueue(hpa: V2HorizontalPodAutoscaler): void {
    if (hpa.metadata?.name !== this.name) return;
    this.queue = this.queue
      .then(() => this.observe(hpa))
      .catch((error) => {
        console.error(`hpa observer: ${String(error)}`);
      });
  }

  private async observe(hpa: V2HorizontalPodAutoscaler): Promise<void> {
    const status = hpa.status;
    if (!status) return;
    const key = JSON.stringify([
      status.currentMetrics,
      status.desiredReplicas,
      status.currentReplicas,
      status.lastScaleTime,
    ]);
    if (key === this.lastKey) return;
    this.lastKey = key;
    const averages: Record<string, number> = {};
    for (const metric of status.currentMetrics ?? []) {
      const value = metric.pods?.current.averageValue;
      if (metric.pods && value !== undefined)
        averages[metric.pods.metric.name] = parseQuantity(String(value));
    }
    const specNames = (this.spec.spec.metrics ?? []).flatMap((m) =>
      m.pods ? [m.pods.metric.name] : [],
    );
    const unknownTargets = specNames.filter((name) => !(name in averages));
    const pods: PodInfo[] = this.podInformer.list().map((pod) => ({
      name: pod.metadata?.name ?? '',
      phase: (pod.status?.phase ?? 'Pending') as PodInfo['phase'],
      ready: isPodReady(pod),
      deleting: !!pod.metadata?.deletionTimestamp,
    }));
    const podsWithMetrics = await this.podsWithValues(specNames[0]);
    // The scale's replicas before this sync: the previous sync's decision (the HPA is the only
    // writer), or, before any, the pods that exist.
    const currentReplicas = this.lastDesired ?? status.currentReplicas ?? 1;
    const metrics: Record<string, Record<string, number>> = {};
    for (const [name, average] of Object.entries(averages)) {
      metrics[name] = Object.fromEntries(podsWithMetrics.map((pod) => [pod, average]));
    }
    const time = this.syncTime((Date.now() - this.started) / 1000);
    const port = this.port.sync({
      time,
      currentReplicas,
      statusReplicas: status.currentReplicas,
      pods,
      metrics,
    });
    const sync: ObservedSync = {
      time,
      seenAt: Date.now(),
      currentReplicas,
      averages,
      pods,
      podsWithMetrics,
      real: status.desiredReplicas,
      port,
      agree: port.desiredReplicas === status.desiredReplicas,
      unknownTargets,
      allPodsReady: pods.length > 0 && pods.every((p) => p.ready),
    };
    // A status written before the first sync says desiredReplicas 0: not a decision.
    if (status.desiredReplicas > 0 || (this.spec.spec.minReplicas ?? 1) === 0)
      this.lastDesired = status.desiredReplicas;
    this.syncs.push(sync);
    this.onSync(sync);
  }

  /**
   * The sync's time on the controller's cadence. The controller syncs every period (15 s; the next
   * sync is queued that long after the last one ended), and the observer sees each status a little
   * later, by a varying watch latency. Given observed times, a scale event of the previous sync
   * could fall a few milliseconds inside a 15 s policy period that the controller had already left
   * (one disagreement in the first run, on the Percent policy's 15 s period): the observed time is
   * rounded to the nearest whole number of periods since the first sync.
   */
  private syncTime(observed: number): number {
    this.firstSync ??= observed;
    return (
      this.firstSync +
      Math.round((observed - this.firstSync) / SYNC_PERIOD_SECONDS) * SYNC_PERIOD_SECONDS
    );
  }

  private async podsWithValues(metric: string | undefined): Promise<string[]> {
    if (!metric) return [];
    try {
      const list = await customMetric(this.namespace, metric, this.selector);
      return list.items.map((item) => item.describedObject.name);
    } catch {
      return [];
    }
  }
}

/** One pod's value in the custom metrics API (`MetricValueList` of custom.metrics.k8s.io/v1beta2). */
export interface MetricValue {
  describedObject: { kind: string; name: string; namespace?: string };
  metric: { name: string };
  timestamp: string;
  value: string;
}

/** One custom metric of every pod in a namespace, from the real adapter through the aggregator (`kubectl get --raw`). */
export async function customMetric(
  namespace: string,
  metric: string,
  selector?: string,
): Promise<{ items: MetricValue[] }> {
  const query = selector ? `?labelSelector=${encodeURIComponent(selector)}` : '';
  return JSON.parse(
    await kubectl([
      'get',
      '--raw',
      `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${namespace}/pods/*/${metric}${query}`,
    ]),
  ) as { items: MetricValue[] };
}

/**
 * The parts of an `autoscaling/v2` HorizontalPodAutoscaler that the controller's decision reads.
 * Field names and shapes follow the Kubernetes API, so a parsed YAML manifest fits directly.
 */

/** A quantity as written in a manifest: `"200m"`, `"10"`, or a plain number. */
export type QuantityValue = string | number;

/** `spec.metrics[].*.target`. */
export interface MetricTarget {
  /** `Value`, `AverageValue` or `Utilization`. */
  type: 'Value' | 'AverageValue' | 'Utilization';
  /** Target for `type: Value`. */
  value?: QuantityValue;
  /** Target for `type: AverageValue`. */
  averageValue?: QuantityValue;
  /** Target for `type: Utilization` (resource metrics only; not simulated). */
  averageUtilization?: number;
}

/** `spec.metrics[].*.metric`. */
export interface MetricIdentifier {
  /** The metric name as the metrics API exposes it. */
  name: string;
  /** Optional label selector (kept for reporting; the simulation does not filter by it). */
  selector?: unknown;
}

/** One entry of `spec.metrics`. */
export interface MetricSpec {
  /** `Pods`, `Object`, `External`, `Resource` or `ContainerResource`. */
  type: 'Pods' | 'Object' | 'External' | 'Resource' | 'ContainerResource';
  /** Set when `type: Pods`. */
  pods?: { metric: MetricIdentifier; target: MetricTarget };
  /** Set when `type: Object`. */
  object?: {
    metric: MetricIdentifier;
    target: MetricTarget;
    describedObject?: { apiVersion?: string; kind: string; name: string };
  };
  /** Set when `type: External`. */
  external?: { metric: MetricIdentifier; target: MetricTarget };
  /** Set when `type: Resource` (not simulated: reported as an invalid metric). */
  resource?: { name: string; target: MetricTarget };
  /** Set when `type: ContainerResource` (not simulated). */
  containerResource?: { name: string; container: string; target: MetricTarget };
}

/** `spec.behavior.scaleUp.policies[]` / `scaleDown.policies[]`. */
export interface ScalingPolicy {
  /** `Pods` (absolute number) or `Percent` (of the replicas at the start of the period). */
  type: 'Pods' | 'Percent';
  /** Pods or percent allowed per period. */
  value: number;
  /** Length of the period in seconds. */
  periodSeconds: number;
}

/** `spec.behavior.scaleUp` / `scaleDown`. */
export interface ScalingRules {
  /** Look-back window for recommendations, in seconds. */
  stabilizationWindowSeconds?: number;
  /** `Max` (default), `Min` or `Disabled`. */
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  /** Rate limits. */
  policies?: ScalingPolicy[];
  /** Per-direction tolerance (Kubernetes 1.33+, `HPAConfigurableTolerance`), e.g. `"0.05"` or `"50m"`. */
  tolerance?: QuantityValue;
}

/** `spec.behavior`. */
export interface Behavior {
  /** Rules applied when scaling up. */
  scaleUp?: ScalingRules;
  /** Rules applied when scaling down. */
  scaleDown?: ScalingRules;
}

/** `spec` of an `autoscaling/v2` HorizontalPodAutoscaler. */
export interface HpaSpec {
  /** The workload being scaled. */
  scaleTargetRef?: { apiVersion?: string; kind: string; name: string };
  /** Lower bound (defaults to 1, as the API server does). */
  minReplicas?: number;
  /** Upper bound. */
  maxReplicas: number;
  /** Metrics the HPA scales on. */
  metrics?: MetricSpec[];
  /** Scaling behavior; absent means the controller's legacy normalisation. */
  behavior?: Behavior;
}

/** A whole HorizontalPodAutoscaler object, as parsed from YAML. */
export interface HorizontalPodAutoscaler {
  /** Should be `autoscaling/v2`. */
  apiVersion?: string;
  /** Should be `HorizontalPodAutoscaler`. */
  kind?: string;
  /** Name and namespace. */
  metadata?: { name?: string; namespace?: string };
  /** The spec. */
  spec: HpaSpec;
}

/** A pod as the replica calculator sees it (from the pod lister). */
export interface PodInfo {
  /** Pod name; metrics are keyed by it. */
  name: string;
  /** Pod phase; `Pending` pods count as unready, `Failed` ones are ignored. Default `Running`. */
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  /** Ready condition. Only Object/External `Value` targets count ready pods. Default true. */
  ready?: boolean;
  /** True when the pod has a deletion timestamp (ignored by the calculator). */
  deleting?: boolean;
}

/** Scale-up and scale-down tolerances (`Tolerances` in replica_calculator.go). */
export interface Tolerances {
  /** Ratio below 1 tolerated without scaling down (default 0.1). */
  scaleDown: number;
  /** Ratio above 1 tolerated without scaling up (default 0.1). */
  scaleUp: number;
}

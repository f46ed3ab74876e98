{{/*
Names, labels, and the one place where the autoscaling chain's names are defined: the adapter's rules
(model-server.adapterRules), the metric names they serve (model-server.servedMetrics, computed from
the rules as prometheus-adapter computes them), the scrape selector (model-server.seriesSelector).
The HPA, the KEDA triggers, the alerts and the adapter's values read them from here.
*/}}

{{- define "model-server.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "model-server.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "model-server.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selects the release's pods: the Deployment's selector, the Service's, the PDB's, the PodMonitor's. */}}
{{- define "model-server.selectorLabels" -}}
app.kubernetes.io/name: {{ include "model-server.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "model-server.labels" -}}
helm.sh/chart: {{ include "model-server.chart" . }}
{{ include "model-server.selectorLabels" . }}
app.kubernetes.io/component: inference
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
mlscale.io/model: {{ .Values.model.name | quote }}
mlscale.io/model-version: {{ .Values.model.version | quote }}
{{- end }}

{{/*
The label matchers that select this release's series in Prometheus, for the alerts and the KEDA
queries. Through a ServiceMonitor the Operator adds `service` (the Service's name); a PodMonitor and
the prometheus.io annotations give `pod` only, so the pods are matched by the Deployment's name.
*/}}
{{- define "model-server.seriesSelector" -}}
{{- if .Values.metrics.serviceMonitor.enabled -}}
service="{{ include "model-server.fullname" . }}"
{{- else -}}
pod=~"{{ include "model-server.fullname" . }}-[a-z0-9]+-[a-z0-9]+"
{{- end }}
{{- end }}

{{/*
prometheus-adapter's rules (its chart's rules.custom), one per metric the HPA can read. A rule's metric
name is its series' name rewritten by name.matches/name.as, as the adapter does it.
*/}}
{{- define "model-server.customRules" -}}
# --- the guide's rules ---------------------------------------------------------------------
# Mean time in the model over 2 minutes (model call only; misses queueing).
- seriesQuery: 'inference_latency_seconds_sum{namespace!="",pod!=""}'
  resources:
    overrides:
      namespace: { resource: "namespace" }
      pod: { resource: "pod" }
  name:
    matches: "^(.*)_sum$"
    as: "inference_latency_seconds_avg"
  metricsQuery: "sum(rate(inference_latency_seconds_sum{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>) / sum(rate(inference_latency_seconds_count{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)"
# Queue depth as sampled at the last scrape.
- seriesQuery: 'request_queue_depth{namespace!="",pod!=""}'
  resources:
    overrides:
      namespace: { resource: "namespace" }
      pod: { resource: "pod" }
  name:
    matches: "^(.*)$"
    as: "${1}"
  metricsQuery: "sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)"
# GPU utilization, averaged over the pod's GPUs, and only while the probe reads them
# (gpu_probe_up == 1): a failed read is a missing value, never 0 %.
- seriesQuery: 'gpu_utilization_percent{namespace!="",pod!=""}'
  resources:
    overrides:
      namespace: { resource: "namespace" }
      pod: { resource: "pod" }
  name:
    matches: "^(.*)$"
    as: "${1}"
  metricsQuery: "avg(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>) and on (<<.GroupBy>>) (max(gpu_probe_up{<<.LabelMatchers>>}) by (<<.GroupBy>>) == 1)"
# --- the project's rules -------------------------------------------------------------------
# Mean end-to-end latency of the inference routes over 1 minute: what a client waits, queue
# included. A pod that served no inference in the window reads 0 (through the queue counter,
# which exists from the start) instead of 0/0 = NaN, which the adapter cannot convert, or no
# value, which stops the HPA from scaling down.
- seriesQuery: 'http_request_duration_seconds_sum{namespace!="",pod!="",route=~"/predict|/v2/models/:name(/versions/:version)?/infer"}'
  resources:
    overrides:
      namespace: { resource: "namespace" }
      pod: { resource: "pod" }
  name:
    matches: "^(.*)_sum$"
    as: "${1}_avg"
  metricsQuery: '(sum(rate(http_request_duration_seconds_sum{<<.LabelMatchers>>,route=~"/predict|/v2/models/:name(/versions/:version)?/infer"}[1m])) by (<<.GroupBy>>) / (sum(rate(http_request_duration_seconds_count{<<.LabelMatchers>>,route=~"/predict|/v2/models/:name(/versions/:version)?/infer"}[1m])) by (<<.GroupBy>>) > 0)) or (0 * sum(rate(request_queue_depth_seconds_total{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>))'
# p95 time in the model over 1 minute, from the histogram buckets.
- seriesQuery: 'inference_latency_seconds_bucket{namespace!="",pod!=""}'
  resources:
    overrides:
      namespace: { resource: "namespace" }
      pod: { resource: "pod" }
  name:
    matches: "^(.*)_bucket$"
    as: "${1}_p95"
  metricsQuery: "histogram_quantile(0.95, sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (le, <<.GroupBy>>))"
# Exact mean queue depth over the last 15 s: rate() of the time integral of the depth. The
# integral makes a short window exact (a gauge sampled that often would still miss what happens
# between scrapes), and a short window lets the HPA react within a sync or two of a load step.
# 15 s holds three scrapes at the ServiceMonitor's 5 s interval; keep the interval at most a
# third of the window.
- seriesQuery: 'request_queue_depth_seconds_total{namespace!="",pod!=""}'
  resources:
    overrides:
      namespace: { resource: "namespace" }
      pod: { resource: "pod" }
  name:
    matches: "^request_queue_depth_seconds_total$"
    as: "request_queue_depth_avg"
  metricsQuery: "sum(rate(<<.Series>>{<<.LabelMatchers>>}[15s])) by (<<.GroupBy>>)"
# GPU busy percentage averaged over 1 minute (rate of busy seconds), while the probe reads.
- seriesQuery: 'gpu_busy_seconds_total{namespace!="",pod!=""}'
  resources:
    overrides:
      namespace: { resource: "namespace" }
      pod: { resource: "pod" }
  name:
    matches: "^gpu_busy_seconds_total$"
    as: "gpu_busy_percent_avg"
  metricsQuery: "100 * avg(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>) and on (<<.GroupBy>>) (max(gpu_probe_up{<<.LabelMatchers>>}) by (<<.GroupBy>>) == 1)"
# This pod's own share of a shared GPU (time-slicing, MPS; infra/overlays/gpu-shared): the
# probe's per-process SM utilization, averaged over the pod's GPUs, only while it is attributed
# to the pod (gpu_process_attributed == 1: the pod runs with hostPID) and the probe reads NVML.
# gpu_utilization_percent is the whole device's: every pod on one GPU reads the same number.
- seriesQuery: 'gpu_process_utilization_percent{namespace!="",pod!=""}'
  resources:
    overrides:
      namespace: { resource: "namespace" }
      pod: { resource: "pod" }
  name:
    matches: "^(.*)$"
    as: "${1}"
  metricsQuery: "avg(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>) and on (<<.GroupBy>>) (min(gpu_process_attributed{<<.LabelMatchers>>}) by (<<.GroupBy>>) == 1) and on (<<.GroupBy>>) (max(gpu_probe_up{<<.LabelMatchers>>}) by (<<.GroupBy>>) == 1)"
{{- end }}

{{/* External rules (not tied to a pod): requests per second through an ingress-nginx Ingress. */}}
{{- define "model-server.externalRules" -}}
{{- if .Values.prometheusAdapter.ingressRule }}
# Requests per second through an Ingress, counted by ingress-nginx (kube-prometheus-stack
# renames the metric's own namespace label to exported_namespace). The series lives in the
# controller, so it exists while no model-server pod does: the metric that wakes
# infra/overlays/hpa-scale-to-zero from zero replicas (select the Ingress with `ingress`).
- seriesQuery: 'nginx_ingress_controller_requests{exported_namespace!="",ingress!=""}'
  resources:
    overrides:
      exported_namespace: { resource: "namespace" }
  name:
    matches: "^nginx_ingress_controller_requests$"
    as: "nginx_ingress_controller_requests_per_second"
  # One value: the rate through the Ingress the HPA selects (labels ingress, exported_namespace).
  metricsQuery: "sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m]))"
{{- end }}
{{- end }}

{{/*
The metric names the custom rules serve, each with its rule, as a dict (name -> rule), as YAML.
prometheus-adapter names a metric by applying name.matches to the series' name and expanding name.as
(Go's regexp.Expand): regexReplaceAll is the same call.
*/}}
{{- define "model-server.servedMetrics" -}}
{{- $served := dict }}
{{- range $rule := include "model-server.customRules" . | fromYamlArray }}
{{- $series := regexFind "^[a-zA-Z_:][a-zA-Z0-9_:]*" $rule.seriesQuery }}
{{- $name := regexReplaceAll $rule.name.matches $series $rule.name.as }}
{{- $_ := set $served $name (dict "series" $series "metricsQuery" $rule.metricsQuery) }}
{{- end }}
{{- toYaml $served }}
{{- end }}

{{/*
Fails, saying why, on values that would break the chain: the HPA naming a metric no rule serves, a
GPU signal without GPUs, a queue window with fewer than three scrapes, two monitors for one pod, no
way for Prometheus to find the pods.
*/}}
{{- define "model-server.validate" -}}
{{- $served := include "model-server.servedMetrics" . | fromYaml }}
{{- $m := .Values.metrics }}
{{- if and $m.serviceMonitor.enabled $m.podMonitor.enabled }}
{{- fail "metrics.serviceMonitor.enabled and metrics.podMonitor.enabled are both true: Prometheus would scrape every pod twice and the adapter's sums would double. Enable one." }}
{{- end }}
{{- if and (ne .Values.autoscaling.engine "none") (not (or $m.serviceMonitor.enabled $m.podMonitor.enabled $m.podAnnotations.enabled)) }}
{{- fail (printf "autoscaling.engine is %s but metrics.serviceMonitor, metrics.podMonitor and metrics.podAnnotations are all off: Prometheus would not scrape the pods and the HPA would read <unknown>. Enable one." .Values.autoscaling.engine) }}
{{- end }}
{{- $interval := trimSuffix "s" $m.scrapeInterval | int }}
{{- $timeout := trimSuffix "s" $m.scrapeTimeout | int }}
{{- if ge $timeout $interval }}
{{- fail (printf "metrics.scrapeTimeout (%s) must be shorter than metrics.scrapeInterval (%s)" $m.scrapeTimeout $m.scrapeInterval) }}
{{- end }}
{{- if gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas) }}
{{- fail (printf "autoscaling.minReplicas (%d) is above autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- end }}
{{- $chartEnv := list "PORT" "HOST" "MODEL_NAME" "MODEL_VERSION" "WORKERS" "ORT_INTRA_OP_THREADS" "BATCH_MAX_SIZE" "BATCH_MAX_WAIT_MS" "MAX_CONCURRENCY" "MAX_QUEUE" "MAX_WAIT_MS" "HEADERS_TIMEOUT_MS" "BODY_TIMEOUT_MS" "MAX_RECEIVING" "KEEP_ALIVE_TIMEOUT_MS" "SHUTDOWN_DELAY_SECONDS" "SHUTDOWN_DRAIN_SECONDS" "GPU_PROBE" "LOG_LEVEL" }}
{{- range $i, $env := .Values.extraEnv }}
{{- if has $env.name $chartEnv }}
{{- fail (printf "extraEnv[%d].name %s is set by the chart from its values (README.md, \"Values\"): set the value instead of a second %s" $i $env.name $env.name) }}
{{- end }}
{{- end }}
{{- range $i, $metric := .Values.autoscaling.metrics }}
{{- if not (hasKey $served $metric.name) }}
{{- fail (printf "autoscaling.metrics[%d].name %q: no prometheus-adapter rule of this chart serves it (it serves %s)" $i $metric.name (keys $served | sortAlpha | join ", ")) }}
{{- end }}
{{- if and (hasPrefix "gpu_" $metric.name) (not $.Values.gpu.enabled) }}
{{- fail (printf "autoscaling.metrics[%d].name %q is a GPU signal but gpu.enabled is false: without the GPU probe the pods export no GPU series and the HPA would read <unknown>. Set gpu.enabled=true or remove the metric." $i $metric.name) }}
{{- end }}
{{- if and (eq $metric.name "request_queue_depth_avg") (gt $interval 5) }}
{{- fail (printf "autoscaling.metrics[%d]: request_queue_depth_avg averages over 15 s and needs three scrapes in that window; metrics.scrapeInterval is %s (at most 5s)" $i $m.scrapeInterval) }}
{{- end }}
{{- end }}
{{- end }}

{{/* A quantity such as 200m or 10 as a plain number (KEDA's thresholds are numbers). */}}
{{- define "model-server.quantityNumber" -}}
{{- if hasSuffix "m" . }}{{ divf (trimSuffix "m" . | float64) 1000 }}{{ else }}{{ . }}{{ end }}
{{- end }}

{{/* terminationGracePeriodSeconds: the preStop sleep, the server's delay and drain, and a margin. */}}
{{- define "model-server.terminationGracePeriodSeconds" -}}
{{- $s := .Values.shutdown }}
{{- add $s.preStopSleepSeconds $s.delaySeconds $s.drainSeconds $s.marginSeconds }}
{{- end }}

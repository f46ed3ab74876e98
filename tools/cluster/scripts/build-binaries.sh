#!/usr/bin/env bash
# Builds the control plane's binaries from their Go modules at pinned versions:
# kube-apiserver, kube-controller-manager, kube-scheduler and kubectl from k8s.io/kubernetes,
# prometheus-adapter from sigs.k8s.io/prometheus-adapter, and helm from helm.sh/helm/v4. Output:
# $BIN_DIR. Also copies the CRDs infra/ uses (prometheus-operator's ServiceMonitor, PodMonitor,
# PrometheusRule; KEDA's ScaledObject and TriggerAuthentication) from their Go modules into
# $BIN_DIR/../crds.
#
# Only what is missing is built: each of BUILD_TARGETS (default: all of kubernetes,
# prometheus-adapter, helm, crds) is skipped when its output is already there, so a cache from before
# helm was added builds helm alone.
#
# k8s.io/kubernetes's go.mod replaces its staging modules (k8s.io/api, k8s.io/apiserver, ...) with
# local paths, so `go install k8s.io/kubernetes/cmd/...@v` refuses it. This script writes a small
# module that requires k8s.io/kubernetes and replaces each staging module with its published
# k8s.io/<name> v0.<minor>.<patch> of the same release, then builds the commands from there.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:?KUBE_VERSION, e.g. v1.34.4}"
ADAPTER_VERSION="${ADAPTER_VERSION:?ADAPTER_VERSION, e.g. v0.12.0}"
PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"
KEDA_VERSION="${KEDA_VERSION:-v2.20.2}"
HELM_VERSION="${HELM_VERSION:-v4.3.2}"
BUILD_TARGETS="${BUILD_TARGETS:-kubernetes prometheus-adapter helm crds}"
BIN_DIR="${BIN_DIR:?BIN_DIR}"
WORK_DIR="${WORK_DIR:-$BIN_DIR/../build}"
GO="${GO:-go}"
GOPROXY_URL="$(${GO} env GOPROXY | cut -d, -f1)"
staging_version="v0.${KUBE_VERSION#v1.}"

step() { printf '[build] %s\n' "$*" >&2; }
verbose=()
if [[ "${BUILD_VERBOSE:-}" == 1 ]]; then verbose=(-v); fi  # one line per compiled package: progress

# wanted TARGET FILE...: TARGET is in BUILD_TARGETS and one of the files is missing.
wanted() {
  local target="$1"; shift
  [[ " $BUILD_TARGETS " == *" $target "* ]] || return 1
  local file
  for file in "$@"; do [[ -e "$file" ]] || return 0; done
  step "$target: already built ($*)"
  return 1
}

mkdir -p "$BIN_DIR"

build_kubernetes() {
  mkdir -p "$WORK_DIR/kubernetes"
  cd "$WORK_DIR/kubernetes"

  step "reading k8s.io/kubernetes@$KUBE_VERSION's go.mod from $GOPROXY_URL"
  curl -fsSL "$GOPROXY_URL/k8s.io/kubernetes/@v/$KUBE_VERSION.mod" -o kubernetes.mod
  go_directive="$(awk '$1 == "go" { print $2; exit }' kubernetes.mod)"
  {
    echo "module mlscale.local/cluster-binaries"
    echo
    echo "go $go_directive"
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    awk '$2 == "=>" && $3 ~ /^\.\/staging\// { printf "\t%s => %s %s\n", $1, $1, v }' v="$staging_version" kubernetes.mod
    echo ")"
  } > go.mod
  step "$(grep -c '=>' go.mod) staging modules replaced by their published $staging_version"

  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
    ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done

  step "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $KUBE_VERSION (first time: many minutes)"
  nice -n "${BUILD_NICE:-10}" "$GO" build "${verbose[@]}" -mod=mod -trimpath -ldflags "$ldflags" -o "$BIN_DIR/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl
}
if wanted kubernetes "$BIN_DIR"/{kube-apiserver,kube-controller-manager,kube-scheduler,kubectl}; then
  build_kubernetes
fi

# prometheus-adapter: also from a small module that requires it (`go install ...@version` asks the
# proxy for the module's version list, which a proxy mirror may refuse).
if wanted prometheus-adapter "$BIN_DIR/prometheus-adapter"; then
  step "building prometheus-adapter $ADAPTER_VERSION"
  mkdir -p "$WORK_DIR/prometheus-adapter"
  cd "$WORK_DIR/prometheus-adapter"
  printf 'module mlscale.local/prometheus-adapter-binary\n\ngo 1.22.1\n\nrequire sigs.k8s.io/prometheus-adapter %s\n' \
    "$ADAPTER_VERSION" > go.mod
  nice -n "${BUILD_NICE:-10}" "$GO" build "${verbose[@]}" -mod=mod -trimpath -ldflags "-s -w" \
    -o "$BIN_DIR/prometheus-adapter" sigs.k8s.io/prometheus-adapter/cmd/adapter
fi

# helm: from a small module that requires helm.sh/helm/v4, with the version its Makefile stamps
# (internal/version.version) and CGO off, as its Makefile builds it.
if wanted helm "$BIN_DIR/helm"; then
  step "building helm $HELM_VERSION"
  mkdir -p "$WORK_DIR/helm"
  cd "$WORK_DIR/helm"
  printf 'module mlscale.local/helm-binary\n\ngo 1.26.0\n\nrequire helm.sh/helm/v4 %s\n' "$HELM_VERSION" > go.mod
  CGO_ENABLED=0 nice -n "${BUILD_NICE:-10}" "$GO" build "${verbose[@]}" -mod=mod -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
    -o "$BIN_DIR/helm" helm.sh/helm/v4/cmd/helm
fi

crd_dir="$BIN_DIR/../crds"
if wanted crds "$crd_dir/keda.sh_clustertriggerauthentications.yaml"; then
  mkdir -p "$crd_dir"
  mkdir -p "$WORK_DIR/crds" && cd "$WORK_DIR/crds"
  module_dir() { "$GO" mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }
  step "CRDs: prometheus-operator $PROMETHEUS_OPERATOR_VERSION, KEDA $KEDA_VERSION"
  operator="$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"
  for kind in servicemonitors podmonitors prometheusrules; do
    install -m 644 "$operator/example/prometheus-operator-crd/monitoring.coreos.com_$kind.yaml" "$crd_dir/"
  done
  keda="$(module_dir "github.com/kedacore/keda/v2@$KEDA_VERSION")"
  for kind in scaledobjects triggerauthentications clustertriggerauthentications; do
    install -m 644 "$keda/config/crd/bases/keda.sh_$kind.yaml" "$crd_dir/"
  done
fi
step "done: $(ls "$BIN_DIR" | tr '\n' ' ')"

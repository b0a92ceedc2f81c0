#!/usr/bin/env bash
# Builds the pinned binaries of the local test control plane from the Go module proxy and caches them
# outside the repository, one folder per tool and version, so a second run costs seconds.
#
#   bash test/cluster/build-binaries.sh          # builds what the cache lacks, prints each phase's time
#   DYNAMOCTL_CACHE=/some/dir bash ...           # cache root (default ~/.cache/dynamoctl)
#
# The versions below are the single source of truth; test/cluster/versions.ts reads them from here.
set -euo pipefail

K8S_VERSION=1.36.3
ETCD_VERSION=3.6.16
KWOK_VERSION=0.8.0
HELM3_VERSION=3.22.0
HELM4_VERSION=4.3.1
REGISTRY_VERSION=3.1.2

CACHE=${DYNAMOCTL_CACHE:-$HOME/.cache/dynamoctl}
BIN=$CACHE/bin
WORK=$CACHE/build
mkdir -p "$BIN" "$WORK"
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local

phase() { # phase NAME DIR CMD...: runs CMD unless DIR/.done exists, timing it
  local name=$1 dir=$2; shift 2
  if [[ -f $dir/.done ]]; then echo "[build] $name: cached ($dir)"; return; fi
  local t0=$SECONDS
  echo "[build] $name: building into $dir"
  rm -rf "$dir" && mkdir -p "$dir"
  "$@" "$dir"
  touch "$dir/.done"
  echo "[build] $name: done in $((SECONDS - t0))s"
}

fresh_module() { # fresh_module NAME: an empty Go module to build another module's commands in
  local d=$WORK/$1
  rm -rf "$d" && mkdir -p "$d" && cd "$d" && go mod init "local/$1" >/dev/null 2>&1
  echo "$d"
}

build_kubernetes() {
  local out=$1 stg=0.${K8S_VERSION#1.} minor gomod d
  minor=$(cut -d. -f2 <<<"$K8S_VERSION")
  d=$(fresh_module "k8s-$K8S_VERSION"); cd "$d"
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging paths,
  # so it cannot be installed directly: replace each with the published v0.X.Y of the same release.
  gomod=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  for m in $(sed -n 's|^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => \./staging/.*|\1|p' "$gomod"); do
    go mod edit -replace="$m=$m@v$stg"
  done
  grep '^godebug' "$gomod" >>go.mod || true
  go mod edit -require="k8s.io/kubernetes@v$K8S_VERSION"
  cat >tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  go mod tidy -e >/dev/null 2>&1 || true
  local ldf="-s -w" p date
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf="$ldf -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  go build -trimpath -tags selinux,notest -ldflags "$ldf" -o "$out/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
  "$out/kube-apiserver" --version
}

build_etcd() {
  local out=$1 d
  d=$(fresh_module "etcd-$ETCD_VERSION"); cd "$d"
  go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >/dev/null 2>&1
  go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3
  "$out/etcd" --version | head -1
}

build_kwok() {
  local out=$1 d src
  d=$(fresh_module "kwok-$KWOK_VERSION"); cd "$d"
  go get "sigs.k8s.io/kwok@v$KWOK_VERSION" >/dev/null 2>&1
  go build -trimpath -ldflags "-s -w" -o "$out/kwok" sigs.k8s.io/kwok/cmd/kwok
  # The standalone kwok needs Stage objects; they ship in the module, keep a copy beside the binary.
  src=$(go list -m -f '{{.Dir}}' "sigs.k8s.io/kwok")
  mkdir -p "$out/stage" && cp -r "$src/kustomize/stage/." "$out/stage/" && chmod -R u+w "$out/stage"
}

build_helm() { # build_helm MAJOR VERSION OUT
  local major=$1 version=$2 out=$3 d ldf
  d=$(fresh_module "helm-$version"); cd "$d"
  go get "helm.sh/helm/v$major@v$version" >/dev/null 2>&1
  ldf="-s -w -X helm.sh/helm/v$major/internal/version.version=v$version"
  [[ $major == 3 ]] && ldf="$ldf -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$(cut -d. -f2 <<<"$K8S_VERSION")"
  go build -trimpath -ldflags "$ldf" -o "$out/helm" "helm.sh/helm/v$major/cmd/helm"
  "$out/helm" version --short
}

build_registry() {
  local out=$1 d
  d=$(fresh_module "registry-$REGISTRY_VERSION"); cd "$d"
  go get "github.com/distribution/distribution/v3@v$REGISTRY_VERSION" >/dev/null 2>&1
  go build -trimpath -ldflags "-s -w" -o "$out/registry" github.com/distribution/distribution/v3/cmd/registry
}

t_all=$SECONDS
phase "etcd v$ETCD_VERSION" "$BIN/etcd-$ETCD_VERSION" build_etcd
phase "helm v$HELM3_VERSION" "$BIN/helm-$HELM3_VERSION" build_helm 3 "$HELM3_VERSION"
phase "helm v$HELM4_VERSION" "$BIN/helm-$HELM4_VERSION" build_helm 4 "$HELM4_VERSION"
phase "registry v$REGISTRY_VERSION" "$BIN/registry-$REGISTRY_VERSION" build_registry
phase "kwok v$KWOK_VERSION" "$BIN/kwok-$KWOK_VERSION" build_kwok
phase "kubernetes v$K8S_VERSION" "$BIN/kubernetes-$K8S_VERSION" build_kubernetes
echo "[build] all binaries ready in $((SECONDS - t_all))s under $BIN"

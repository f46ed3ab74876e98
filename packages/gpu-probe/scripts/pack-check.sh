#!/usr/bin/env bash
# Packs @mlscale/gpu-probe, installs the tarball into an empty folder with npm, and uses it there
# through both `import` and `require`, against the fake NVML compiled by its own testing helper.
#   packages/gpu-probe/scripts/pack-check.sh     (needs the npm registry for koffi and prom-client, and cc)
set -euo pipefail

package="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$package"
[ -f dist/index.js ] || pnpm build >/dev/null
tarball="$(pnpm pack --pack-destination "$work" 2>/dev/null | grep -E '\.tgz$' | tail -1)"
echo "packed $(basename "$tarball"): $(tar -tzf "$tarball" | sed 's|^package/||' | sort | tr '\n' ' ')"

mkdir "$work/app"
cd "$work/app"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "$tarball" prom-client@^15 >/dev/null

cat > check.mjs <<'JS'
import { createGpuProbe, openGpuProbe } from '@mlscale/gpu-probe';
import { compileFakeNvml } from '@mlscale/gpu-probe/testing';
import { Registry } from 'prom-client';
const missing = openGpuProbe({ libraryPath: '/nonexistent/libnvidia-ml.so.1' });
if (missing.ok || missing.error.name !== 'NvmlLoadError') throw new Error('expected NvmlLoadError');
const nvml = compileFakeNvml();
nvml.setUtilization(0, 61);
const registry = new Registry();
const probe = createGpuProbe({ registry, libraryPath: nvml.libraryPath });
const text = await registry.metrics();
probe.close();
nvml.dispose();
if (!text.includes('} 61\n')) throw new Error(text);
console.log('import: ok');
JS
cat > check.cjs <<'JS'
const { createGpuProbe } = require('@mlscale/gpu-probe');
const { compileFakeNvml } = require('@mlscale/gpu-probe/testing');
const nvml = compileFakeNvml();
nvml.setUtilization(0, 62);
const probe = createGpuProbe({ libraryPath: nvml.libraryPath });
const result = probe.read();
probe.close();
nvml.dispose();
if (!result.ok || result.devices[0].utilization.gpu !== 62) throw new Error(JSON.stringify(result));
console.log('require: ok');
JS
node check.mjs
node check.cjs

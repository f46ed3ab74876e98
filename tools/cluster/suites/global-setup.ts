/**
 * One control plane for the whole `pnpm test:cluster` run: started here (building the binaries the
 * first time) unless one is already up, and stopped at the end if this run started it.
 */
import { down, isUp, up } from '../src/control-plane.js';

export default async function setup(): Promise<() => Promise<void>> {
  const wasUp = await isUp();
  await up((line) => console.log(`[cluster] ${line}`));
  return async () => {
    if (!wasUp) await down((line) => console.log(`[cluster] ${line}`));
  };
}

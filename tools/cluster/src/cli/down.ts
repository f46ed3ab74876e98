/** `pnpm cluster:down`: stops every process `cluster:up` started and removes `.cluster/`. */
import { down } from '../control-plane.js';

await down((line) => console.log(`[cluster:down] ${line}`));

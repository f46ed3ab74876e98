/**
 * What the node agent runs for an image. There is no container runtime here: an image names a
 * process. infra/overlays/local sets the model server's image to {@link MODEL_SERVER_IMAGE}.
 */
import { fileURLToPath } from 'node:url';

/** The model server as a local process: this repository's built apps/model-server. */
export const MODEL_SERVER_IMAGE = 'local/model-server:process';

const MODEL_SERVER_MAIN = fileURLToPath(
  new URL('../../../../apps/model-server/dist/main.js', import.meta.url),
);

/** An image's entrypoint and default arguments (a container's `command` and `args` replace them). */
export interface LocalImage {
  entrypoint: string[];
  cmd: string[];
}

const IMAGES: Record<string, LocalImage> = {
  [MODEL_SERVER_IMAGE]: { entrypoint: [process.execPath, MODEL_SERVER_MAIN], cmd: [] },
};

/** The process an image stands for, or undefined when the agent does not know it. */
export function localImage(image: string): LocalImage | undefined {
  return IMAGES[image];
}

/** The images the agent knows, for error messages. */
export function knownImages(): string[] {
  return Object.keys(IMAGES);
}

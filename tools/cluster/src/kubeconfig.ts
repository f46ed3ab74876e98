/** Kubeconfig files for the control plane's identities (client certificates of the local CA). */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

/**
 * Writes a kubeconfig for one identity.
 * @param file where to write it
 * @param server the API server's URL (`https://127.0.0.1:<port>`)
 * @param ca the cluster CA's certificate file
 * @param client the identity's certificate and key files
 * @example writeKubeconfig('.cluster/kubeconfig', 'https://127.0.0.1:6443', 'ca.crt', { cert, key });
 */
export function writeKubeconfig(
  file: string,
  server: string,
  ca: string,
  client: { cert: string; key: string },
  user = 'user',
): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'mlscale-local', cluster: { server, 'certificate-authority': ca } }],
    users: [{ name: user, user: { 'client-certificate': client.cert, 'client-key': client.key } }],
    contexts: [{ name: 'mlscale-local', context: { cluster: 'mlscale-local', user } }],
    'current-context': 'mlscale-local',
  };
  writeFileSync(file, stringify(config));
}

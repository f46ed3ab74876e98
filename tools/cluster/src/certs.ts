/**
 * The control plane's certificates and keys, made with the `openssl` command line (Node has no
 * X.509 API to issue certificates; openssl is what kubeadm's docs use for the same job by hand).
 *
 * Two CAs, as kubeadm sets them up: the cluster CA (serving certificates and client identities) and
 * the front-proxy CA (the API server's identity towards aggregated API servers such as
 * prometheus-adapter). The service-account key pair signs tokens.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Paths of everything {@link makeCertificates} writes. */
export interface Certificates {
  dir: string;
  ca: { cert: string; key: string };
  frontProxyCa: { cert: string; key: string };
  serviceAccount: { key: string; pub: string };
  apiserver: { cert: string; key: string };
  adapterServing: { cert: string; key: string };
  frontProxyClient: { cert: string; key: string };
  /** Client identities by name: admin, controller-manager, scheduler, adapter, prometheus, nodes. */
  clients: Record<string, { cert: string; key: string }>;
}

/** A client identity: the certificate's CN is the user, each O a group. */
export interface ClientIdentity {
  name: string;
  user: string;
  groups?: readonly string[];
}

function openssl(args: readonly string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('openssl is not installed: `apt-get install -y openssl`');
    }
    throw new Error(`openssl ${args.join(' ')} failed: ${stderr}`);
  }
}

function makeCa(dir: string, name: string, subject: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  openssl(['genrsa', '-out', key, '2048'], dir);
  openssl(
    ['req', '-x509', '-new', '-key', key, '-subj', subject, '-days', '3650', '-out', cert],
    dir,
  );
  return { cert, key };
}

function issue(
  dir: string,
  ca: { cert: string; key: string },
  name: string,
  subject: string,
  { sans = [], serving = false }: { sans?: readonly string[]; serving?: boolean },
): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  const lines = [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${serving ? 'serverAuth' : 'clientAuth'}`,
  ];
  if (sans.length > 0) {
    const entries = sans.map((san) => (/^[\d.]+$/.test(san) ? `IP:${san}` : `DNS:${san}`));
    lines.push(`subjectAltName=${entries.join(',')}`);
  }
  writeFileSync(ext, `${lines.join('\n')}\n`);
  openssl(['genrsa', '-out', key, '2048'], dir);
  openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-CAcreateserial',
      '-days',
      '3650',
      '-extfile',
      ext,
      '-out',
      cert,
    ],
    dir,
  );
  return { cert, key };
}

function subjectOf(identity: ClientIdentity): string {
  // openssl -subj: groups first (O=), then the user (CN=), escaped for '/'.
  const groups = (identity.groups ?? []).map((group) => `/O=${group.replaceAll('/', '\\/')}`);
  return `${groups.join('')}/CN=${identity.user.replaceAll('/', '\\/')}`;
}

/**
 * Makes the CAs, serving certificates and client certificates in `dir` (once: an existing
 * `dir/ca.crt` means they are there).
 * @param dir where to write them
 * @param clients the client identities to issue
 * @example const certs = makeCertificates('.cluster/pki', [{ name: 'admin', user: 'admin', groups: ['system:masters'] }]);
 */
export function makeCertificates(dir: string, clients: readonly ClientIdentity[]): Certificates {
  const at = (name: string) => ({ cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) });
  const certificates: Certificates = {
    dir,
    ca: at('ca'),
    frontProxyCa: at('front-proxy-ca'),
    serviceAccount: { key: join(dir, 'sa.key'), pub: join(dir, 'sa.pub') },
    apiserver: at('apiserver'),
    adapterServing: at('prometheus-adapter-serving'),
    frontProxyClient: at('front-proxy-client'),
    clients: Object.fromEntries(
      clients.map((client) => [client.name, at(`client-${client.name}`)]),
    ),
  };
  if (existsSync(certificates.ca.cert)) return certificates;
  mkdirSync(dir, { recursive: true });
  const ca = makeCa(dir, 'ca', '/CN=mlscale-local-ca');
  const frontProxyCa = makeCa(dir, 'front-proxy-ca', '/CN=mlscale-local-front-proxy-ca');
  openssl(['genrsa', '-out', certificates.serviceAccount.key, '2048'], dir);
  openssl(
    [
      'rsa',
      '-in',
      certificates.serviceAccount.key,
      '-pubout',
      '-out',
      certificates.serviceAccount.pub,
    ],
    dir,
  );
  issue(dir, ca, 'apiserver', '/CN=kube-apiserver', {
    serving: true,
    sans: [
      '127.0.0.1',
      'localhost',
      '10.96.0.1',
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
    ],
  });
  // The aggregator checks the adapter's certificate against the APIService's Service name
  // (<name>.<namespace>.svc) and dials the ExternalName (localhost).
  issue(dir, ca, 'prometheus-adapter-serving', '/CN=prometheus-adapter', {
    serving: true,
    sans: ['localhost', '127.0.0.1', 'prometheus-adapter.monitoring.svc'],
  });
  issue(dir, frontProxyCa, 'front-proxy-client', '/CN=front-proxy-client', {});
  for (const client of clients) issue(dir, ca, `client-${client.name}`, subjectOf(client), {});
  return certificates;
}

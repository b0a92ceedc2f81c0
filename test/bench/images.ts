/**
 * The image preflight benchmark's environment: a control plane of its own, a registry on loopback with token
 * auth (anonymous pull tokens, as the public registries give) holding, under a mirror path, every image a
 * full install pulls (what `dynamoctl bundle` lists: about 20), and the peer's script: the same manifests
 * asked with curl one after another (a token, then HEAD), as a person checking by hand would.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rewriteRegistry } from '../../src/config/images.ts';
import { MANIFEST_TYPES } from '../../src/registry/client.ts';
import { parseImageReference, type ImageReference } from '../../src/registry/reference.ts';
import { ensureBinaries, startCluster, stopCluster } from '../cluster/control-plane.ts';
import { startRegistry } from '../cluster/registry.ts';
import { writeChartSources } from '../helpers/fixtures.ts';

export interface ImagesBench {
  images: number;
  /** The registry path the images were copied under (for --registry). */
  mirror: string;
  check(extra: string[]): string[];
  curlPeer(): string[];
  stop(): Promise<void>;
}

const dynamoctlBin = fileURLToPath(new URL('../../bin/dynamoctl', import.meta.url));

export async function imagesBench(): Promise<ImagesBench> {
  ensureBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'dynamoctl-bench-images-'));
  const info = await startCluster({ dir, detached: false });
  Object.assign(process.env, info.helmEnv);
  const registry = await startRegistry(dir, 'bench-registry', { kind: 'token', users: [], anonymousPullPrefix: '' });
  const chartValues = writeChartSources(join(dir, 'charts.yaml'), info.charts.httpRepo);
  const bundle = spawnSync(process.execPath, [dynamoctlBin, 'bundle', join(dir, 'bundle'), '-f', chartValues, '--helm-binary', info.binaries.helm3, '-o', 'json'], { encoding: 'utf8' });
  if (bundle.status !== 0) throw new Error(`dynamoctl bundle: ${bundle.stderr}`);
  const mirror = `${registry.host}/mirror`;
  const images = (JSON.parse(bundle.stdout) as { images: string[] }).images.map((i) => parseImageReference(rewriteRegistry(i, mirror)) as ImageReference);
  for (const ref of images) await registry.push(ref.repository, ref.reference);

  const realm = `http://${registry.host}/v2/`;
  const accept = MANIFEST_TYPES.map((t) => `-H 'Accept: ${t}'`).join(' ');
  const peer = join(dir, 'curl-manifests.sh');
  writeFileSync(
    peer,
    [
      'set -euo pipefail',
      // the realm the registry names in its challenge, as a client reads it
      `realm=$(curl -s -o /dev/null -D - ${realm} | sed -n 's/^[Ww]ww-[Aa]uthenticate: Bearer realm="\\([^"]*\\)",service="\\([^"]*\\)".*/\\1?service=\\2/p' | tr -d '\\r')`,
      ...images.map(
        (ref) =>
          `token=$(curl -sf "$realm&scope=repository:${ref.repository}:pull" | sed 's/.*"token":"\\([^"]*\\)".*/\\1/'); ` +
          `curl -sf -o /dev/null -I ${accept} -H "Authorization: Bearer $token" http://${registry.host}/v2/${ref.repository}/manifests/${ref.reference}`,
      ),
    ].join('\n'),
  );
  return {
    images: images.length,
    mirror,
    check: (extra) => [process.execPath, dynamoctlBin, 'check', '--kubeconfig', info.kubeconfig, '-f', chartValues, '--helm-binary', info.binaries.helm3, '-n', 'bench', '-o', 'json', ...extra],
    curlPeer: () => ['bash', peer],
    stop: async () => {
      await registry.stop();
      await stopCluster(info);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

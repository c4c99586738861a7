// The setup step of the families that run libvirt in containers: a running Docker engine
// and the host images, built once and then found by their hash in well under a second.
import { ensureDockerEngine } from '../hosts/container/image/engine.ts';
import { ensureHostImage, type HostImage } from '../hosts/container/image/build.ts';
import { HOST_RELEASES, type HostRelease } from '../hosts/container/image/recipe.ts';
import { LIBVIRT_FAMILIES } from './prerequisites.ts';
import type { Log, SetupStep } from './setup.ts';

/** Starts the engine if needed, then makes sure every release's image exists (one after
 *  the other: two debootstraps at once only compete for the two cores). */
export async function prepareContainerHosts(
  releases: readonly HostRelease[] = HOST_RELEASES,
  log: Log = () => {},
): Promise<HostImage[]> {
  const engine = await ensureDockerEngine(log);
  log(`Docker engine ${engine.version}`);
  const images: HostImage[] = [];
  for (const release of releases) {
    const image = await ensureHostImage(release, log);
    log(
      `host image ${release}: ${image.tag} (QEMU ${image.versions.qemu}, libvirt ${image.versions.libvirt}; ${image.built ? `built in ${image.seconds} s` : 'cached'})`,
    );
    images.push(image);
  }
  return images;
}

export const containerHostsStep: SetupStep = {
  name: 'container hosts (Docker engine and host images)',
  families: LIBVIRT_FAMILIES,
  run: async (log) => {
    await prepareContainerHosts(HOST_RELEASES, log);
  },
};

// Container host images and the Docker engine they run on (library code the CLI calls).
export { DOCKERD_LOG, dockerEnv, ensureDockerEngine } from './engine.ts';
export {
  CACHE_ROOT,
  currentHostImageTag,
  ensureHostImage,
  HOST_IMAGE_BUILD_VERSION,
  hostContainerFlags,
  HostImageBuildError,
  INIT_LOG,
  INIT_SCRIPT_IN_IMAGE,
  READY_FILE,
} from './build.ts';
export type { HostImage, HostImageVersions } from './build.ts';
export { discoverDebianMirror } from './mirror.ts';
export {
  HOST_IMAGE_REPOSITORY,
  HOST_RECIPES,
  HOST_RELEASES,
  hostImageHash,
  hostImageTag,
  hostRecipe,
  isHostRelease,
} from './recipe.ts';
export type { HostImageInputs, HostRecipe, HostRelease } from './recipe.ts';

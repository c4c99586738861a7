import { describe, expect, it } from 'vitest';
import { apiVersionFromError, dockerEnv, isApiMismatch } from './engine.ts';

describe('docker client and engine API versions', () => {
  const tooNew = 'Error response from daemon: client version 1.50 is too new. Maximum supported API version is 1.41';

  it("recognises a version mismatch and reads the engine's highest version", () => {
    expect(isApiMismatch(tooNew)).toBe(true);
    expect(apiVersionFromError(tooNew)).toBe('1.41');
    expect(
      isApiMismatch(
        'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
      ),
    ).toBe(false);
    expect(apiVersionFromError('permission denied')).toBeUndefined();
  });

  it('docker commands get the sbin folders and the C locale, and keep a DOCKER_API_VERSION the user set', () => {
    const env = dockerEnv({ PATH: '/usr/bin', LANG: 'de_DE.UTF-8', DOCKER_API_VERSION: '1.40' });
    expect(env.PATH?.split(':')).toEqual(expect.arrayContaining(['/usr/bin', '/usr/sbin', '/sbin']));
    expect(env.LC_ALL).toBe('C');
    expect(env.DOCKER_API_VERSION).toBe('1.40');
  });
});

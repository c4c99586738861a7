import type { Emulator, Host } from '../../hosts/types.ts';
import { UsageError } from '../../util/errors.ts';

// What the qemu driver asks of a host before it starts a QEMU there: whether KVM is usable,
// whether a QEMU has SPICE, the version of a vendor's binary. Asked through the host (a
// container answers for itself), once per host and question.

export class HostProbes {
  private readonly answers = new WeakMap<Host, Map<string, Promise<unknown>>>();

  kvmUsable(host: Host): Promise<boolean> {
    return this.once(
      host,
      'kvm',
      async () => (await host.exec(['test', '-w', '/dev/kvm'], { timeoutMs: 10_000 })).code === 0,
    );
  }

  /** `-spice help` lists SPICE's options (seamless-migration among them) and exits 1 all the same. */
  hasSpice(host: Host, emulator: Pick<Emulator, 'command' | 'prefixArgs'>): Promise<boolean> {
    return this.once(host, `spice ${emulator.command} ${emulator.prefixArgs.join(' ')}`, async () => {
      const probe = await host
        .exec([emulator.command, ...emulator.prefixArgs, '-spice', 'help'], { timeoutMs: 15_000 })
        .catch(() => undefined);
      return /seamless-migration/.test(`${probe?.stdout ?? ''}${probe?.stderr ?? ''}`);
    });
  }

  /** Whether a QEMU has the disk the data-disk guest reads (`-device help` lists ide-hd). */
  hasDataDisks(host: Host, emulator: Pick<Emulator, 'command' | 'prefixArgs'>): Promise<boolean> {
    return this.once(host, `disks ${emulator.command} ${emulator.prefixArgs.join(' ')}`, async () => {
      const probe = await host
        .exec([emulator.command, ...emulator.prefixArgs, '-device', 'help'], { timeoutMs: 15_000 })
        .catch(() => undefined);
      return /"ide-hd"/.test(`${probe?.stdout ?? ''}${probe?.stderr ?? ''}`);
    });
  }

  version(host: Host, binary: string): Promise<string> {
    return this.once(host, `version ${binary}`, async () => {
      const result = await host
        .exec([binary, '--version'], { timeoutMs: 15_000 })
        .catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT')
            throw new UsageError(
              `QEMU not found on ${host.name}: '${binary}' is not installed or not on PATH`,
              'check the driver option binary',
            );
          throw err;
        });
      if (result.code !== 0)
        throw new UsageError(
          `'${binary} --version' failed on ${host.name}: ${result.stderr.trim().split('\n')[0] ?? ''}`,
          'check the driver option binary',
        );
      return /version\s+(\d+\.\d+\.\d+)/.exec(result.stdout)?.[1] ?? 'unknown';
    });
  }

  private once<T>(host: Host, key: string, ask: () => Promise<T>): Promise<T> {
    let mine = this.answers.get(host);
    if (!mine) this.answers.set(host, (mine = new Map()));
    let answer = mine.get(key) as Promise<T> | undefined;
    if (!answer) {
      answer = ask();
      mine.set(key, answer);
      answer.catch(() => mine.delete(key));
    }
    return answer;
  }
}

/** A vendor's own QEMU binary, named by the driver option `binary`, as a host's emulator. */
export async function emulatorFor(host: Host, binary: string, probes: HostProbes): Promise<Emulator> {
  return {
    command: binary,
    prefixArgs: [],
    version: await probes.version(host, binary),
    origin: 'the driver option binary',
  };
}

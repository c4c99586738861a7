import { docker } from './docker.ts';
import { isAlive } from '../../util/process.ts';
import { OWNER_LABEL, SESSION_LABEL } from './labels.ts';

/** Removes containers and networks of runs whose owner process is gone. */
export async function reapStaleContainers(log: (line: string) => void): Promise<number> {
  let removed = 0;
  const containers = await docker([
    'ps',
    '-a',
    '--filter',
    `label=${OWNER_LABEL}`,
    '--format',
    `{{.ID}} {{.Label "${OWNER_LABEL}"}}`,
  ]);
  for (const line of containers.split('\n').filter(Boolean)) {
    const [id, owner] = line.split(' ');
    if (!id || isAlive(Number(owner))) continue;
    await docker(['rm', '-f', '-v', id]).catch(() => undefined);
    removed++;
  }
  const networks = await docker([
    'network',
    'ls',
    '--filter',
    `label=${OWNER_LABEL}`,
    '--format',
    `{{.ID}} {{.Label "${OWNER_LABEL}"}}`,
  ]);
  for (const line of networks.split('\n').filter(Boolean)) {
    const [id, owner] = line.split(' ');
    if (!id || isAlive(Number(owner))) continue;
    await docker(['network', 'rm', id]).catch(() => undefined);
    removed++;
  }
  if (removed) log(`removed ${removed} container(s)/network(s) left by an earlier run that was killed`);
  return removed;
}

/**
 * Removes every container and network of one session, whoever of it still owns them. A host
 * whose creation was under way when its worker died appears a moment later (the engine
 * finishes what it was asked): sweep again a second later, until a sweep finds nothing.
 */
export async function removeSession(sessionPid: number, log: (line: string) => void): Promise<void> {
  const filter = `label=${SESSION_LABEL}=${sessionPid}`;
  const end = Date.now() + 10_000;
  let removed = 0;
  for (let sweep = 1; ; sweep++) {
    const containers = (await docker(['ps', '-aq', '--filter', filter])).split('\n').filter(Boolean);
    if (containers.length) await docker(['rm', '-f', '-v', ...containers], 60_000).catch(() => undefined);
    const networks = (await docker(['network', 'ls', '-q', '--filter', filter])).split('\n').filter(Boolean);
    for (const id of networks) await docker(['network', 'rm', id]).catch(() => undefined);
    removed += containers.length + networks.length;
    if ((sweep > 1 && containers.length + networks.length === 0) || Date.now() > end) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (removed) log(`removed ${removed} container(s)/network(s) the interrupted run left`);
}

import { docker } from './docker.ts';
import { isAlive } from '../../util/process.ts';
import { OWNER_LABEL } from './labels.ts';


/** Removes containers and networks of runs whose owner process is gone. */
export async function reapStaleContainers(log: (line: string) => void): Promise<number> {
  let removed = 0;
  const containers = await docker(['ps', '-a', '--filter', `label=${OWNER_LABEL}`, '--format', `{{.ID}} {{.Label "${OWNER_LABEL}"}}`]);
  for (const line of containers.split('\n').filter(Boolean)) {
    const [id, owner] = line.split(' ');
    if (!id || isAlive(Number(owner))) continue;
    await docker(['rm', '-f', '-v', id]).catch(() => undefined);
    removed++;
  }
  const networks = await docker(['network', 'ls', '--filter', `label=${OWNER_LABEL}`, '--format', `{{.ID}} {{.Label "${OWNER_LABEL}"}}`]);
  for (const line of networks.split('\n').filter(Boolean)) {
    const [id, owner] = line.split(' ');
    if (!id || isAlive(Number(owner))) continue;
    await docker(['network', 'rm', id]).catch(() => undefined);
    removed++;
  }
  if (removed) log(`removed ${removed} container(s)/network(s) left by an earlier run that was killed`);
  return removed;
}

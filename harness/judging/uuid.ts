import type { GuestObservation } from '../observation/types.ts';
import { deadlineNote, selfJudged } from './facts.ts';
import { MIN_PROGRESS_PASSES } from './mig.ts';
import { judgeRefusal, type Refusal } from './refusal.ts';
import { CannotJudge, fail, pass, type Judge } from './verdict.ts';

// Identity conflicts (seed 001 point 1): a guest keeps its UUID and name across a migration,
// and a destination that already holds that identity must refuse it.

/** Identity clashes are found before anything moves: refused within this. */
export const IDENTITY_REFUSAL_BOUND_MS = 5000;

export const UUID_01: Judge = (obs) => {
  const own = selfJudged(obs, 'the identity the destination guest is given (the -uuid and -name passed)');
  if (own) return own;
  const migration = obs.migration;
  const identity = obs.guest;
  if (!migration?.to || !identity) throw new CannotJudge(`scenario '${obs.scenario.name}' never started a migration`);
  if (migration.final?.status !== 'completed')
    return fail(`the migration did not complete (${migration.final?.status ?? 'unknown'})${deadlineNote(obs)}`);
  const after = (obs.inventories ?? []).filter((i) => i.host === migration.to && i.t > migration.requestedAt).at(-1);
  if (!after)
    throw new CannotJudge(`scenario '${obs.scenario.name}' lacks an inventory of ${migration.to} after the migration`);
  const byName = after.guests.find((g) => g.name === identity.name);
  if (!byName)
    return fail(
      `${migration.to} holds no guest named '${identity.name}' after the migration (it holds: ${after.guests.map((g) => g.name).join(', ') || 'nothing'})`,
    );
  if (byName.uuid?.toLowerCase() !== identity.uuid?.toLowerCase()) {
    return fail(
      `the guest arrived as '${byName.name}' with UUID ${byName.uuid ?? '(none)'}, not the source's ${identity.uuid ?? '(none)'}`,
    );
  }
  return pass(
    `on ${migration.to} the guest is '${byName.name}', UUID ${byName.uuid} (${byName.state}), as at the source`,
  );
};

const clashRefusal =
  (says: string, why: RegExp, names: Refusal['names']): Judge =>
  (obs) =>
    judgeRefusal(obs, { why, says, boundMs: IDENTITY_REFUSAL_BOUND_MS, names });

export const UUID_02 = clashRefusal(
  'that a guest with this UUID exists',
  /uuid|already (exists|active|defined)/i,
  (obs) => (obs.guest?.uuid ? { what: 'the UUID', text: obs.guest.uuid } : undefined),
);
export const UUID_03 = clashRefusal('that a guest with this name exists', /already exists|name/i, (obs) =>
  obs.guest?.name ? { what: 'the name', text: obs.guest.name } : undefined,
);
export const UUID_04 = clashRefusal('that both are the same host', /same host/i, (obs) => {
  const hostUuid = Object.values(obs.hosts).find((h) => h.settings.hostUuid)?.settings.hostUuid;
  return hostUuid ? { what: 'the host UUID', text: hostUuid } : undefined;
});

interface Case {
  readonly key: string;
  readonly guest: Pick<GuestObservation, 'migration' | 'progress' | 'spec' | 'events'>;
}

/**
 * UUID-05: validate-uuid on three migrations at once: the destination has another UUID (must
 * fail, the source runs on), the same UUID (passes), or none (passes).
 */
export const UUID_05: Judge = (obs) => {
  const cases: Case[] = [
    {
      key: 'main',
      guest: {
        progress: obs.progress,
        events: obs.events,
        ...(obs.migration && { migration: obs.migration }),
        ...(obs.guest && { spec: obs.guest }),
      },
    },
    ...Object.entries(obs.guests).map(([key, guest]) => ({ key, guest })),
  ];
  const kind = (c: Case): 'differs' | 'same' | 'unset' | undefined => {
    const spec = c.guest.spec;
    if (!c.guest.migration?.settings.validateUuid || !spec) return undefined;
    if (spec.destinationUuid === 'none') return 'unset';
    return spec.destinationUuid === undefined || spec.destinationUuid === spec.uuid ? 'same' : 'differs';
  };
  const byKind = new Map(cases.map((c) => [kind(c), c] as const));
  const differs = byKind.get('differs');
  const same = byKind.get('same');
  const unset = byKind.get('unset');
  if (!differs || !same || !unset)
    throw new CannotJudge(
      `scenario '${obs.scenario.name}' needs three validate-uuid migrations: other UUID, same UUID, no UUID`,
    );

  const failure = differs.guest.migration?.final;
  const measurements: Record<string, number> = {};
  if (failure?.status !== 'failed')
    return fail(
      `with another UUID at the destination the migration ended '${failure?.status ?? 'unknown'}', not failed`,
    );
  const failedAt =
    differs.guest.events.find((e) => e.side === 'source' && e.migrationStatus === 'failed')?.t ??
    differs.guest.migration?.requestedAt ??
    0;
  const after = differs.guest.progress.source.passes.filter((t) => t > failedAt).length;
  measurements.sourcePassesAfterFailure = after;
  if (after < MIN_PROGRESS_PASSES)
    return fail(`after the UUID mismatch the source made only ${after} passes`, measurements);
  const others = [
    ['same UUID', same],
    ['no UUID at the destination', unset],
  ] as const;
  const blocked = others.filter(([, c]) => c.guest.migration?.final?.status !== 'completed');
  if (blocked.length) {
    return fail(
      blocked
        .map(
          ([what, c]) =>
            `with ${what} the migration ended '${c.guest.migration?.final?.status ?? 'unknown'}': ${c.guest.migration?.final?.errorDesc ?? ''}`,
        )
        .join('; '),
      measurements,
    );
  }
  return pass(
    `another UUID failed the migration ("${failure.errorDesc ?? ''}") and the source ran on (${after} passes); the same UUID and no UUID both completed`,
    measurements,
  );
};

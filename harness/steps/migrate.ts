import { z } from 'zod';
import type { MigrationSettings, SpiceRelocation } from '../drivers/types.ts';
import { MUST_SUCCEED_FEATURES } from '../drivers/vocabulary.ts';
import { EMULATOR_CHOICES } from '../hosts/types.ts';
import { startBlackhole } from '../network/blackhole.ts';
import type { MigrationRequest } from '../observation/history.ts';
import { sleep } from '../util/deadline.ts';
import { duration, guestRef, size } from '../util/fields.ts';
import { guestRun, hostNamed, label, requireCapability, startSide, type GuestRun, type RunContext } from './context.ts';
import { defineStep } from './step.ts';

const schema = z.strictObject({
  do: z.literal('migrate'),
  guest: guestRef,
  /** A host of the scenario; the guest's current host is the source. */
  to: z.string(),
  /** Nothing listens at the destination (no destination guest is started). */
  unreachable: z.boolean().default(false),
  transport: z.enum(['unix', 'tcp']).default('unix'),
  maxBandwidth: size.optional(),
  downtimeLimit: duration.optional(),
  /**
   * Where the SPICE client is sent before migrating: the destination's SPICE server, a
   * listener of the harness's that accepts and never answers, or nowhere.
   */
  spice: z.enum(['destination', 'blackhole', 'none']).default('destination'),
  /** Leave RAM both QEMUs share out of the stream (x-ignore-shared). */
  ignoreShared: z.boolean().default(false),
  /** The destination checks the source's UUID (validate-uuid). */
  validateUuid: z.boolean().default(false),
  /** QEMU's migration mode; cpr-transfer needs QEMU >= 10.0. */
  mode: z.enum(['normal', 'cpr-transfer']).default('normal'),
  /** How the destination's guest differs from the source's (an upgrade, an identity clash). */
  destination: z
    .strictObject({
      /** Which of the destination host's QEMUs receives the guest. */
      emulator: z.enum(EMULATOR_CHOICES).optional(),
      /** Another UUID than the source's, or 'none' for a QEMU without -uuid. */
      uuid: z.union([z.guid(), z.literal('none')]).optional(),
    })
    .default({}),
  /** Post-copy allowed; `start-postcopy` switches. */
  postcopy: z.boolean().default(false),
  /** Pages after the switch at this rate: low, so a fault lands while pages are missing. */
  postcopyBandwidth: size.optional(),
  /**
   * The stream goes through the harness's relay, so link faults can cut it. Drivers without
   * the capability, and hosts that do not share the harness's loopback, carry it over the
   * hosts' own links (which link faults then act on).
   */
  relay: z.boolean().default(false),
  /** How the data disk moves: streamed in after cut-over, or mirrored before it. */
  storage: z
    .strictObject({
      mode: z.enum(['stream-after', 'mirror-before']),
      bandwidth: size.optional(),
      errorPolicy: z.enum(['stop', 'report']).default('stop'),
    })
    .optional(),
  /** Features whose failure at the destination must fail the migration and roll it back. */
  mustSucceed: z.array(z.enum(MUST_SUCCEED_FEATURES)).default([]),
});

type MigrateStep = z.output<typeof schema>;

/** Starts the destination (unless unreachable) and the migration of a guest to a host. */
export const migrate = defineStep({
  schema,
  records: ['migrate', 'guest', 'progress', 'exit', 'spice-target'],
  check(step, scope) {
    const key = scope.guest(step.guest);
    scope.host(step.to, 'to');
    scope.requireStarted(key, 'migrate');
    scope.markMigrating(key);
  },
  async play(ctx, step) {
    const guest = guestRun(ctx, step.guest);
    const source = guest.sides.source;
    if (!source) throw new Error(`migrate before start of ${label(guest)}`);
    const targetHost = hostNamed(ctx, step.to);
    requireCapabilities(ctx, step);
    const settings: MigrationSettings = {
      transport: step.transport,
      ...(step.maxBandwidth !== undefined && { maxBandwidth: step.maxBandwidth }),
      ...(step.downtimeLimit !== undefined && { downtimeLimitMs: step.downtimeLimit }),
      ...(step.ignoreShared && { ignoreShared: true }),
      ...(step.validateUuid && { validateUuid: true }),
      ...(step.mode !== 'normal' && { mode: step.mode }),
      ...(step.postcopy && { postcopy: true }),
      ...(step.postcopyBandwidth !== undefined && { postcopyBandwidth: step.postcopyBandwidth }),
      ...(step.relay &&
        ctx.capabilities.has('migration-relay') &&
        ctx.hostFeatures.has('loopback') && { relay: (destination) => guest.link.via(destination) }),
      ...(step.storage && { storage: step.storage }),
      ...(step.mustSucceed.length && { mustSucceed: step.mustSucceed }),
    };
    const target = step.unreachable
      ? { unreachable: targetHost }
      : {
          guest: await startSide(
            ctx,
            guest,
            'destination',
            targetHost.name,
            true,
            destinationSpec(guest, step.destination),
            settings,
          ),
        };
    const spice = guest.spec.spice ? await spiceRelocation(ctx, guest, step.spice) : undefined;
    const withSpice = spice ? { ...settings, spice } : settings;
    if (settings.relay) guest.link.willRelay = true;
    const requestedAt = ctx.clock();
    guest.migration = { requestedAt, to: targetHost.name };
    const { relay: _relay, ...data } = withSpice;
    const request: MigrationRequest = {
      from: source.host.name,
      to: targetHost.name,
      unreachable: step.unreachable,
      settings: { ...data, ...(settings.relay && { relay: true }) },
      ...(step.destination.uuid !== undefined && { destinationUuid: step.destination.uuid }),
    };
    ctx.history.append({ type: 'migrate', t: requestedAt, guest: guest.key, ...request });
    try {
      guest.job = await ctx.driver.migrate({ source, target, settings: withSpice });
    } catch (err) {
      // A fault placed at 'setup' may kill the source before its driver heard back: the
      // migration did start (its events say so); what follows is for the judges to see.
      const ended = await Promise.race([source.exited, sleep(500).then(() => undefined)]);
      if (!ended) throw err;
      return `migrating ${label(guest)} ${source.host.name} -> ${targetHost.name}; the source ended before the request was answered (${(err as Error).message})`;
    }
    return `migrating ${label(guest)} ${source.host.name} -> ${targetHost.name}${step.unreachable ? ' (unreachable)' : ''}`;
  },
});

/** What the migration asks of the implementation, each by its capability. */
function requireCapabilities(ctx: RunContext, step: MigrateStep): void {
  if (step.postcopy) requireCapability(ctx, 'postcopy', 'migrate in post-copy');
  if (step.ignoreShared) requireCapability(ctx, 'ignore-shared', 'leave shared RAM out of the stream');
  if (step.validateUuid) requireCapability(ctx, 'validate-uuid', 'have the destination validate the UUID');
  if (step.mode === 'cpr-transfer') requireCapability(ctx, 'cpr-transfer', 'migrate by cpr-transfer');
  if (step.destination.uuid !== undefined)
    requireCapability(ctx, 'destination-uuid', 'give the destination another UUID');
  if (step.storage?.mode === 'stream-after')
    requireCapability(ctx, 'storage-stream-after', 'stream storage in after cut-over');
  if (step.storage?.mode === 'mirror-before')
    requireCapability(ctx, 'storage-mirror-before', 'mirror storage before cut-over');
  if (step.mustSucceed.length)
    requireCapability(
      ctx,
      'must-succeed',
      `fail the migration when ${step.mustSucceed.join(', ')} fails at the destination`,
    );
}

/** Where the SPICE client is sent: the destination, nowhere, or a blackhole of the harness's. */
async function spiceRelocation(
  ctx: RunContext,
  guest: GuestRun,
  target: MigrateStep['spice'],
): Promise<SpiceRelocation> {
  if (target !== 'blackhole') return target;
  // Each connection is recorded: the proof that the client really tried to follow (SPICE-02).
  const hole = await startBlackhole({
    onConnection: () => ctx.history.append({ type: 'spice-target', guest: guest.key }),
  });
  ctx.background.push(() => hole.close());
  return { host: hole.host, port: hole.port };
}

/** The destination's guest: the source's, with what the migrate step changes. */
function destinationSpec(guest: GuestRun, change: MigrateStep['destination']): GuestRun['spec'] {
  const { uuid: _sourceUuid, ...rest } = guest.spec;
  const uuid = change.uuid === undefined ? guest.spec.uuid : change.uuid === 'none' ? undefined : change.uuid;
  return {
    ...rest,
    ...(uuid !== undefined && { uuid }),
    ...(change.emulator !== undefined && { emulator: change.emulator }),
  };
}

import type { z } from 'zod';
import type { Capability, Driver, GuestHandle, Side } from '../drivers/types.ts';
import type { Host, HostFeature } from '../hosts/types.ts';
import type { MigrationLink } from '../network/link.ts';
import type { FaultTarget } from '../observation/history.ts';
import type { SpiceClient } from '../spice/client.ts';

// The nemesis (Jepsen's word): what goes wrong, as values. Each kind lives in its own folder
// (harness/faults/<kind>/) and says what it targets, what it needs, and how it strikes; the
// registry (index.ts) assembles them, and a scenario's `do: fault` step places one.

/** What a fault may reach while a scenario plays: the implementation, its hosts, its guests. */
export interface FaultScope {
  readonly driver: Driver;
  host(name: string): Host;
  /** A guest's emulator on one side; Unavailable when it has none. */
  side(guest: string | undefined, side: Side): GuestHandle;
  /** A guest's migration link, and the host its migration goes to (once it started). */
  link(guest: string | undefined): { readonly link: MigrationLink; readonly destination?: Host };
  /** The harness's SPICE client, once a step connected it. */
  spiceClient(): SpiceClient | undefined;
}

/** What a fault acts on: one side's emulator, a host, its management daemon, a migration link, the SPICE client. */
export type TargetKind = 'side' | 'host' | 'daemon' | 'link' | 'client';

export interface FaultNeeds {
  /** Capabilities the driver must declare. */
  readonly driver?: ReadonlyArray<Capability>;
  /** Features the host kind must offer. */
  readonly host?: ReadonlyArray<HostFeature>;
}

export interface FaultKind<S extends z.ZodObject = z.ZodObject> {
  /** Its name in scenarios (`kind:`) and reports. */
  readonly kind: string;
  /** One line: what it does. */
  readonly summary: string;
  readonly target: TargetKind;
  /** The fault's own fields beside `do`, `kind` and `at` (its target, its options). */
  readonly fields: S;
  /** What it needs; where some of it is missing the fault is unsupported and says so. */
  readonly needs?: FaultNeeds;
  /** Alternatives: it works where either the first or the second set is met (a link: the harness's relay, or the host's own link). */
  readonly needsEither?: readonly [FaultNeeds, FaultNeeds];
  /** Whom it will strike, for the history, before it strikes. */
  targetOf(fault: z.output<S>, scope: FaultScope): FaultTarget;
  /** Strikes; returns a line that says what was done. */
  strike(fault: z.output<S>, scope: FaultScope): Promise<string>;
}

/** Declares a fault kind; the type of its fields flows into strike() and targetOf(). */
export const defineFault = <S extends z.ZodObject>(kind: FaultKind<S>): FaultKind<S> => kind;

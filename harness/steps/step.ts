import type { z } from 'zod';
import type { EntryType } from '../observation/history.ts';
import type { RunContext } from './context.ts';

// A step kind is one file of harness/steps/: its schema (what a scenario writes), the checks
// of order and references made when the file is loaded, what it records in the history, and
// how it plays. The registry (index.ts) lists them; scenario/schema.ts assembles the union.

export interface StepKind<S extends z.ZodType<{ do: string }> = z.ZodType<{ do: string }>> {
  readonly schema: S;
  /** The history entries it appends (beyond its own step outcome). */
  readonly records: ReadonlyArray<EntryType>;
  /**
   * It only looks (states, memory, disks, inventories): it still plays after a wait ran out,
   * so the judges see the final evidence of a hang, not a scenario cut short.
   */
  readonly gathersEvidence?: boolean;
  /** Checks made at load time; throw ScenarioIssue to reject the file before anything runs. */
  check?(step: z.output<S>, scope: ScenarioScope): void;
  /** Plays the step; returns a line that says what happened, for the progress output. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a step that has nothing to say returns nothing
  play(ctx: RunContext, step: z.output<S>): Promise<string | void>;
}

export const defineStep = <S extends z.ZodType<{ do: string }>>(kind: StepKind<S>): StepKind<S> => kind;

/** A problem with one step, at a field of it (the loader adds the file, line and step index). */
export class ScenarioIssue extends Error {
  constructor(
    readonly path: ReadonlyArray<PropertyKey>,
    message: string,
  ) {
    super(message);
    this.name = 'ScenarioIssue';
  }
}

/**
 * What the steps before this one have set up, as the loader walks a scenario: the hosts and
 * guests it names, which guests were started and which have a migration. A step that needs
 * more than that (a wait before its migration) is rejected with the file's line.
 */
export class ScenarioScope {
  private readonly started = new Set<string>();
  private readonly migrating = new Set<string>();
  private clientConnected = false;

  constructor(
    readonly hosts: ReadonlyArray<string>,
    readonly guests: ReadonlyArray<string>,
    private readonly mainGuest: string,
  ) {}

  host(name: string, field: PropertyKey = 'host'): void {
    if (!this.hosts.includes(name))
      throw new ScenarioIssue([field], `no host '${name}' (hosts: ${this.hosts.join(', ')})`);
  }

  /** The guest a step names (the scenario's own when it names none). */
  guest(ref: string | undefined, field: PropertyKey = 'guest'): string {
    const key = ref ?? this.mainGuest;
    if (!this.guests.includes(key))
      throw new ScenarioIssue([field], `no guest '${key}' (guests: ${this.guests.join(', ')})`);
    return key;
  }

  requireStarted(key: string, what: string): void {
    if (!this.started.has(key))
      throw new ScenarioIssue(['do'], `${what} before ${this.named(key)} was started (add a 'start' step before it)`);
  }

  requireMigration(key: string, what: string): void {
    this.requireStarted(key, what);
    if (!this.migrating.has(key))
      throw new ScenarioIssue(
        ['do'],
        `${what} before ${this.named(key)} was migrated (add a 'migrate' step before it)`,
      );
  }

  /** What acts on one side needs it there: the source once started, the destination once migrated. */
  requireSide(key: string, side: 'source' | 'destination', what: string): void {
    if (side === 'source') this.requireStarted(key, `${what} of the source`);
    else this.requireMigration(key, `${what} of the destination`);
  }

  requireAnyMigration(what: string): void {
    if (!this.migrating.size)
      throw new ScenarioIssue(['do'], `${what} before any guest was migrated (add a 'migrate' step before it)`);
  }

  requireClient(what: string): void {
    if (!this.clientConnected)
      throw new ScenarioIssue(
        ['do'],
        `${what} before the SPICE client connected (add a 'spice-client' step before it)`,
      );
  }

  markStarted(key: string): void {
    this.started.add(key);
  }

  markMigrating(key: string): void {
    this.migrating.add(key);
  }

  markClientConnected(): void {
    this.clientConnected = true;
  }

  private named(key: string): string {
    return key === this.mainGuest ? 'the guest' : `guest '${key}'`;
  }
}

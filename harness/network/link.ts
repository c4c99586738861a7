import { startRelay, type LinkState, type PortOccupant, type Relay } from './relay.ts';

/**
 * One guest's migration link through the harness: a relay in front of each address its
 * driver migrates to (again on recovery). A link fault acts on every relay of the link, and
 * a relay made later starts in the link's current state, so a fault may strike before the
 * migration connects.
 */
export class MigrationLink {
  private readonly relays: Relay[] = [];
  private current: LinkState = 'up';
  private occupant?: PortOccupant;
  /** Set when the migration asked for the relay and will get one: a fault before it connects still acts on it. */
  willRelay = false;

  get state(): LinkState {
    return this.current;
  }

  /** Whether the migration went through the harness at all (else the hosts' own links carry it). */
  get relayed(): boolean {
    return this.relays.length > 0 || this.willRelay;
  }

  /** A relay to `destination`, in the link's current state; returns where to connect. */
  async via(destination: { host: string; port: number }): Promise<{ host: string; port: number }> {
    const relay = await startRelay(destination);
    this.relays.push(relay);
    await this.apply(relay, this.current);
    return { host: relay.host, port: relay.port };
  }

  async set(state: Exclude<LinkState, 'held'>): Promise<void> {
    this.current = state;
    this.occupant = undefined;
    for (const relay of this.relays) await this.apply(relay, state);
  }

  /** Hands each relay's port (and those of relays made later) to an occupant, until healed. */
  async hold(occupant: PortOccupant): Promise<void> {
    this.current = 'held';
    this.occupant = occupant;
    for (const relay of this.relays) await this.apply(relay, 'held');
  }

  async close(): Promise<void> {
    await Promise.all(this.relays.map((r) => r.close().catch(() => undefined)));
  }

  private async apply(relay: Relay, state: LinkState): Promise<void> {
    if (state === 'cut') await relay.cut();
    else if (state === 'blackhole') relay.blackhole();
    else if (state === 'held' && this.occupant) await relay.hold(this.occupant);
    else await relay.heal();
  }
}

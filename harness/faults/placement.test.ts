import { describe, expect, it } from 'vitest';
import { History } from '../observation/history.ts';
import { arm, describePlacement, placementSchema } from './placement.ts';

const status = (history: History, guest: string, side: 'source' | 'destination', migrationStatus: 'setup' | 'active') =>
  history.append({ type: 'event', guest, event: { t: 0, side, name: 'MIGRATION', migrationStatus } });

describe('fault placement', () => {
  it('parses every placement, `now` by default', () => {
    expect(placementSchema.parse(undefined)).toBe('now');
    expect(placementSchema.parse({ after: '2s' })).toEqual({ after: 2000 });
    expect(placementSchema.parse({ status: 'setup' })).toEqual({ status: 'setup', side: 'source' });
    expect(placementSchema.safeParse({ status: 'nearly-done' }).success).toBe(false);
    expect(describePlacement({ status: 'active', side: 'destination', guest: 'g2' })).toBe(
      'status active (destination) of guest g2',
    );
  });

  it('strikes once, at the status on the side and guest it names, from the event itself', () => {
    const history = new History(() => 0);
    let fired = 0;
    const disarm = arm(
      history,
      placementSchema.parse({ status: 'active', side: 'destination' }) as Exclude<
        ReturnType<typeof placementSchema.parse>,
        'now'
      >,
      () => fired++,
    );
    status(history, 'main', 'source', 'active');
    status(history, 'g2', 'destination', 'active');
    expect(fired).toBe(0);
    status(history, 'main', 'destination', 'active');
    status(history, 'main', 'destination', 'active');
    expect(fired).toBe(1);
    expect(disarm()).toBe(true);
  });

  it('strikes at an event by name, or after a delay; disarmed before its moment it says so', async () => {
    const history = new History(() => 0);
    const fired: string[] = [];
    const byEvent = arm(history, { event: 'SPICE_MIGRATE_COMPLETED' }, () => fired.push('event'));
    const late = arm(history, { after: 5_000 }, () => fired.push('late'));
    const soon = arm(history, { after: 10 }, () => fired.push('soon'));
    history.append({ type: 'event', guest: 'main', event: { t: 0, side: 'source', name: 'SPICE_MIGRATE_COMPLETED' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(fired).toEqual(['event', 'soon']);
    expect([byEvent(), soon(), late()]).toEqual([true, true, false]);
  });
});

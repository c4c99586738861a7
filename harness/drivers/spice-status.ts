import type { SpiceStatus } from './types.ts';

/** query-spice's answer, as much of it as cutover reads (channel ports are strings). */
export interface QuerySpice {
  readonly enabled: boolean;
  readonly migrated?: boolean;
  readonly channels?: ReadonlyArray<{
    'connection-id': number;
    'channel-type': number;
    'channel-id': number;
    host?: string;
    port?: string;
  }>;
}

export function toSpiceStatus(info: QuerySpice): SpiceStatus {
  return {
    enabled: info.enabled,
    migrated: info.migrated ?? false,
    channels: (info.channels ?? []).map((c) => ({
      connectionId: c['connection-id'],
      channelType: c['channel-type'],
      channelId: c['channel-id'],
      ...(c.host !== undefined && { host: c.host }),
      ...(c.port !== undefined && { port: c.port }),
    })),
  };
}

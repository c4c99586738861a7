// Classifies one line from a QMP server. Parsing is separate from the client so the
// rules for "what counts as QMP" are testable on their own and shared by the fake peer.
import type { QmpErrorBody, QmpEvent, QmpGreeting, QmpTimestamp, QmpVersionInfo } from './types.ts';

export type ServerMessage =
  | { kind: 'greeting'; greeting: QmpGreeting }
  | { kind: 'return'; id: unknown; value: unknown }
  | { kind: 'error'; id: unknown; error: QmpErrorBody }
  | { kind: 'event'; event: QmpEvent };

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problem: string };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseJsonLine(line: string): ParseResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(line) as unknown };
  } catch (err) {
    return { ok: false, problem: `not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
}

export function parseServerLine(line: string): ParseResult<ServerMessage> {
  const json = parseJsonLine(line);
  if (!json.ok) return json;
  const message = json.value;
  if (!isRecord(message)) return fail('not a JSON object');

  if ('QMP' in message) {
    const greeting = asGreeting(message);
    return greeting ? ok({ kind: 'greeting', greeting }) : fail('malformed greeting');
  }
  if ('return' in message) {
    return ok({ kind: 'return', id: message.id, value: message.return });
  }
  if ('error' in message) {
    const error = asErrorBody(message.error);
    return error ? ok({ kind: 'error', id: message.id, error }) : fail('malformed error reply');
  }
  if ('event' in message) {
    const event = asEvent(message);
    return event ? ok({ kind: 'event', event }) : fail('malformed event');
  }
  return fail('not a QMP greeting, reply or event');
}

function ok(value: ServerMessage): ParseResult<ServerMessage> {
  return { ok: true, value };
}

function fail(problem: string): ParseResult<ServerMessage> {
  return { ok: false, problem };
}

function asGreeting(message: Record<string, unknown>): QmpGreeting | undefined {
  const qmp = message.QMP;
  if (!isRecord(qmp)) return undefined;
  const { capabilities, version } = qmp;
  if (!Array.isArray(capabilities) || !capabilities.every((c) => typeof c === 'string')) return undefined;
  if (!isVersionInfo(version)) return undefined;
  return { QMP: { ...qmp, version, capabilities } };
}

function isVersionInfo(value: unknown): value is QmpVersionInfo {
  if (!isRecord(value) || typeof value.package !== 'string') return false;
  const qemu = value.qemu;
  return (
    isRecord(qemu) && typeof qemu.major === 'number' && typeof qemu.minor === 'number' && typeof qemu.micro === 'number'
  );
}

function asErrorBody(value: unknown): QmpErrorBody | undefined {
  if (!isRecord(value) || typeof value.class !== 'string' || typeof value.desc !== 'string') return undefined;
  return { class: value.class, desc: value.desc };
}

function asEvent(message: Record<string, unknown>): QmpEvent | undefined {
  const { event, data, timestamp } = message;
  if (typeof event !== 'string' || !isTimestamp(timestamp)) return undefined;
  if (data !== undefined && !isRecord(data)) return undefined;
  return { event, data: data ?? {}, timestamp: { seconds: timestamp.seconds, microseconds: timestamp.microseconds } };
}

function isTimestamp(value: unknown): value is QmpTimestamp {
  return isRecord(value) && typeof value.seconds === 'number' && typeof value.microseconds === 'number';
}

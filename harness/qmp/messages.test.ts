import { describe, expect, it } from 'vitest';
import { parseServerLine } from './messages.ts';

describe('parseServerLine', () => {
  it('classifies greeting, return, error and event', () => {
    const greeting =
      '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}';
    expect(parseServerLine(greeting)).toMatchObject({ ok: true, value: { kind: 'greeting' } });
    expect(parseServerLine('{"return": [], "id": 3}')).toEqual({
      ok: true,
      value: { kind: 'return', id: 3, value: [] },
    });
    expect(parseServerLine('{"error": {"class": "GenericError", "desc": "boom"}, "id": "x"}')).toEqual({
      ok: true,
      value: { kind: 'error', id: 'x', error: { class: 'GenericError', desc: 'boom' } },
    });
    expect(parseServerLine('{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}')).toEqual({
      ok: true,
      value: { kind: 'event', event: { event: 'STOP', data: {}, timestamp: { seconds: 1, microseconds: 2 } } },
    });
  });

  it('explains what is wrong with a line that is not QMP', () => {
    expect(parseServerLine('nope')).toMatchObject({ ok: false, problem: expect.stringMatching(/^not JSON/) });
    expect(parseServerLine('null')).toEqual({ ok: false, problem: 'not a JSON object' });
    expect(parseServerLine('{"QMP": {}}')).toEqual({ ok: false, problem: 'malformed greeting' });
    expect(parseServerLine('{"event": "X", "data": 1, "timestamp": {"seconds": 1, "microseconds": 2}}')).toEqual({
      ok: false,
      problem: 'malformed event',
    });
    expect(parseServerLine('{"status": "running"}')).toEqual({
      ok: false,
      problem: 'not a QMP greeting, reply or event',
    });
  });
});

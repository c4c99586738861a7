import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { QmpClient, type QmpConnectOptions } from './client.ts';
import {
  QmpCommandError,
  QmpConnectError,
  QmpDisconnectedError,
  QmpProtocolError,
  QmpTimeoutError,
  QmpUsageError,
} from './errors.ts';
import { FakeQmpPeer, type FakeQmpPeerOptions } from './fake-peer.ts';
import type { ReceivedEvent, StatusInfo, TranscriptEntry } from './types.ts';

// Everything a test opens is closed afterwards, newest first (clients before their peer).
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startPeer(opts?: FakeQmpPeerOptions): Promise<FakeQmpPeer> {
  const peer = await FakeQmpPeer.start(opts);
  cleanups.push(() => peer.close());
  return peer;
}

async function connect(peer: FakeQmpPeer, opts?: QmpConnectOptions): Promise<QmpClient> {
  const client = await QmpClient.connect(peer.socketPath, { timeoutMs: 2_000, ...opts });
  cleanups.push(() => client.close());
  return client;
}

/** Settles to the rejection reason (or the value); attaching at once avoids unhandled-rejection noise. */
function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => value,
    (error: unknown) => error,
  );
}

/** A clock that ticks by one on every read, so each use is identifiable. */
function tickingClock(): () => number {
  let now = 0;
  return () => ++now;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const runningStatus: StatusInfo = { status: 'running', running: true, singlestep: false };

describe('connect and negotiation', () => {
  it('reads the greeting and negotiates without OOB by default', async () => {
    const peer = await startPeer();
    const client = await connect(peer);

    expect(client.greeting.QMP.version.qemu).toEqual({ major: 7, minor: 2, micro: 0 });
    expect(client.greeting.QMP.capabilities).toEqual(['oob']);
    expect(client.oobEnabled).toBe(false);
    expect(peer.commands).toHaveLength(1);
    expect(peer.commands[0]?.command).toBe('qmp_capabilities');
    expect(peer.commands[0]?.arguments).toBeUndefined();
    expect(client.target).toBe(`unix:${peer.socketPath}`);
  });

  it("enables OOB when asked and the greeting offers 'oob'", async () => {
    const peer = await startPeer({ capabilities: ['oob'] });
    const client = await connect(peer, { oob: true });

    expect(client.oobEnabled).toBe(true);
    expect(peer.commands[0]?.arguments).toEqual({ enable: ['oob'] });
  });

  it('does not ask for OOB when the greeting does not offer it', async () => {
    const peer = await startPeer({ capabilities: [] });
    const client = await connect(peer, { oob: true });

    expect(client.oobEnabled).toBe(false);
    expect(peer.commands[0]?.arguments).toBeUndefined();
  });

  it('times out naming the target when the peer never greets', async () => {
    const peer = await startPeer({ greeting: false });
    const started = Date.now();
    const error = await outcome(QmpClient.connect(peer.socketPath, { timeoutMs: 150 }));

    expect(error).toBeInstanceOf(QmpConnectError);
    expect((error as QmpConnectError).timedOut).toBe(true);
    expect((error as Error).message).toContain(peer.socketPath);
    expect((error as Error).message).toMatch(/timed out after 150 ms .* awaiting the greeting/);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('times out while another client holds the socket, and connects once it lets go', async () => {
    const peer = await startPeer();
    const first = await connect(peer);

    const error = await outcome(QmpClient.connect(peer.socketPath, { timeoutMs: 150 }));
    expect(error).toBeInstanceOf(QmpConnectError);
    expect((error as Error).message).toMatch(/another client/);

    await first.close();
    const second = await connect(peer);
    expect(second.greeting.QMP.capabilities).toEqual(['oob']);
    expect(peer.connectionCount).toBe(3);
    expect(peer.commands.filter((c) => c.command === 'qmp_capabilities')).toHaveLength(2);
  });

  it('rejects with the errno code when the socket does not exist', async () => {
    const path = '/nonexistent-cutover-dir/qmp.sock';
    const error = await outcome(QmpClient.connect(path, { timeoutMs: 1_000 }));

    expect(error).toBeInstanceOf(QmpConnectError);
    expect((error as QmpConnectError).code).toBe('ENOENT');
    expect((error as QmpConnectError).timedOut).toBe(false);
    expect((error as Error).message).toContain(path);
  });

  it('rejects when a TCP target refuses', async () => {
    const port = await unusedTcpPort();
    const error = await outcome(QmpClient.connect({ host: '127.0.0.1', port }, { timeoutMs: 1_000 }));

    expect(error).toBeInstanceOf(QmpConnectError);
    expect((error as QmpConnectError).code).toBe('ECONNREFUSED');
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
  });

  it('rejects when capabilities negotiation fails', async () => {
    const peer = await startPeer({
      handlers: { qmp_capabilities: { error: { class: 'GenericError', desc: 'no thanks' } } },
    });
    const error = await outcome(QmpClient.connect(peer.socketPath, { timeoutMs: 1_000 }));

    expect(error).toBeInstanceOf(QmpConnectError);
    expect((error as Error).message).toMatch(/negotiating capabilities: .*GenericError: no thanks/);
  });
});

describe('commands', () => {
  it('sends arguments and resolves with the return value', async () => {
    const peer = await startPeer({ handlers: { 'query-status': { return: runningStatus } } });
    const client = await connect(peer);

    const status = await client.execute<StatusInfo>('query-status');
    expect(status).toEqual(runningStatus);

    peer.handle('migrate-set-parameters', (cmd) => ({ return: { echoed: cmd.arguments } }));
    const echoed = await client.execute('migrate-set-parameters', { 'downtime-limit': 300 });
    expect(echoed).toEqual({ echoed: { 'downtime-limit': 300 } });

    const ids = peer.commands.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('matches replies that arrive out of order', async () => {
    const peer = await startPeer({ handlers: { slow: () => undefined, fast: { return: 'fast' } } });
    const client = await connect(peer);

    const slow = client.execute('slow');
    expect(await client.execute('fast')).toBe('fast');
    peer.respond(await peer.waitForCommand('slow'), { return: 'slow' });
    expect(await slow).toBe('slow');
  });

  it('rejects an error reply with QmpCommandError', async () => {
    const peer = await startPeer({
      handlers: { migrate: { error: { class: 'GenericError', desc: 'There is already a migration in progress' } } },
    });
    const client = await connect(peer);

    const error = await outcome(client.execute('migrate', { uri: 'tcp:10.0.0.2:4444' }));
    expect(error).toBeInstanceOf(QmpCommandError);
    expect(error).toMatchObject({
      command: 'migrate',
      errorClass: 'GenericError',
      desc: 'There is already a migration in progress',
      message: "QMP command 'migrate' failed: GenericError: There is already a migration in progress",
    });
    // The connection survives a command error.
    expect(client.closeReason).toBeUndefined();
  });

  it('times out a command by name, then ignores its late reply', async () => {
    const peer = await startPeer({ handlers: { 'query-status': { return: runningStatus }, stuck: () => undefined } });
    const client = await connect(peer);

    const error = await outcome(client.execute('stuck', undefined, { timeoutMs: 50 }));
    expect(error).toBeInstanceOf(QmpTimeoutError);
    expect((error as Error).message).toMatch(/QMP command 'stuck' got no reply .* within 50 ms/);

    peer.respond(await peer.waitForCommand('stuck'), { return: 'too late' });
    expect(await client.execute('query-status')).toEqual(runningStatus);
    expect(client.closeReason).toBeUndefined();
  });

  it('sends OOB commands with exec-oob once negotiated', async () => {
    const peer = await startPeer({ handlers: { 'migrate-pause': { return: {} }, slow: () => undefined } });
    const client = await connect(peer, { oob: true });

    const inBand = client.execute('slow');
    expect(await client.execute('migrate-pause', undefined, { oob: true })).toEqual({});
    const sent = await peer.waitForCommand('migrate-pause');
    expect(sent.kind).toBe('exec-oob');
    expect(JSON.parse(sent.raw)).toEqual({ 'exec-oob': 'migrate-pause', id: sent.id });

    peer.respond(await peer.waitForCommand('slow'), { return: 1 });
    expect(await inBand).toBe(1);
  });

  it('refuses OOB commands when OOB was not negotiated, without sending them', async () => {
    const peer = await startPeer();
    const client = await connect(peer);

    const error = await outcome(client.execute('migrate-pause', undefined, { oob: true }));
    expect(error).toBeInstanceOf(QmpUsageError);
    expect((error as Error).message).toMatch(/OOB was not negotiated/);
    expect(peer.commands.map((c) => c.command)).toEqual(['qmp_capabilities']);
  });
});

describe('events', () => {
  it('buffers events with harness receive time and QEMU timestamp', async () => {
    const peer = await startPeer();
    const client = await connect(peer, { clock: () => 1234.5 });
    const heard: ReceivedEvent[] = [];
    const unsubscribe = client.on('event', (e) => heard.push(e));

    peer.pushEvent('STOP', undefined, { seconds: 1700000000, microseconds: 250 });
    peer.pushEvent('RESUME');
    await client.waitForEvent('RESUME', { timeoutMs: 2_000, since: 0 });
    unsubscribe();
    peer.pushEvent('STOP');
    await client.waitForEvent('STOP', { timeoutMs: 2_000, since: 2 });

    expect(client.events.map((e) => e.event)).toEqual(['STOP', 'RESUME', 'STOP']);
    expect(client.events[0]).toEqual({
      event: 'STOP',
      data: {},
      timestamp: { seconds: 1700000000, microseconds: 250 },
      index: 0,
      receivedAt: 1234.5,
    });
    expect(heard.map((e) => e.index)).toEqual([0, 1]);
  });

  it('finds an event that arrived before the wait when given since', async () => {
    const peer = await startPeer({ handlers: { 'query-status': { return: runningStatus } } });
    const client = await connect(peer);
    const since = client.mark();

    peer.pushEvent('MIGRATION', { status: 'completed' });
    await client.execute('query-status'); // the reply follows the event, so the event is buffered now

    const event = await client.waitForEvent('MIGRATION', { timeoutMs: 100, since });
    expect(event.index).toBe(since);
    expect(event.data).toEqual({ status: 'completed' });

    // Without `since` only later events count, so the same wait times out.
    const missed = await outcome(client.waitForEvent('MIGRATION', { timeoutMs: 50 }));
    expect(missed).toBeInstanceOf(QmpTimeoutError);
    expect((missed as Error).message).toMatch(/events seen meanwhile: none/);
  });

  it('waits for an event that arrives after the wait begins, by name or predicate', async () => {
    const peer = await startPeer();
    const client = await connect(peer);

    const byName = client.waitForEvent('RESUME', { timeoutMs: 2_000 });
    const byPredicate = client.waitForEvent((e) => e.event === 'MIGRATION' && e.data.status === 'completed', {
      timeoutMs: 2_000,
    });
    peer.pushEvent('MIGRATION', { status: 'active' });
    peer.pushEvent('MIGRATION', { status: 'completed' });
    peer.pushEvent('RESUME');

    expect((await byPredicate).index).toBe(1);
    expect((await byName).index).toBe(2);
  });

  it('names the awaited event and the events seen on timeout', async () => {
    const peer = await startPeer();
    const client = await connect(peer);
    const since = client.mark();
    const wait = outcome(
      client.waitForEvent((e) => e.event === 'MIGRATION' && e.data.status === 'completed', {
        timeoutMs: 150,
        since,
        description: "MIGRATION with status 'completed'",
      }),
    );
    peer.pushEvent('STOP');
    for (const status of ['setup', 'active', 'failed']) peer.pushEvent('MIGRATION', { status });

    const error = await wait;
    expect(error).toBeInstanceOf(QmpTimeoutError);
    expect((error as Error).message).toBe(
      `timed out after 150 ms waiting for QMP event MIGRATION with status 'completed' from unix:${peer.socketPath}; ` +
        'events seen meanwhile: STOP, MIGRATION x3',
    );
  });

  it('still finds buffered events after the peer hangs up (quit)', async () => {
    const peer = await startPeer();
    const client = await connect(peer);
    const since = client.mark();

    expect(await client.execute('quit')).toEqual({});
    expect((await client.closed).cause).toBe('peer');

    const shutdown = await client.waitForEvent('SHUTDOWN', { timeoutMs: 100, since });
    expect(shutdown.data).toEqual({ guest: false, reason: 'host-qmp-quit' });
    const never = await outcome(client.waitForEvent('RESUME', { timeoutMs: 100, since }));
    expect(never).toBeInstanceOf(QmpDisconnectedError);
  });
});

describe('disconnect and close', () => {
  it('rejects pending commands and waits when the peer drops, and later calls at once', async () => {
    const peer = await startPeer({ handlers: { migrate: () => undefined } });
    const client = await connect(peer);

    const command = outcome(client.execute('migrate', { uri: 'tcp:10.0.0.2:4444' }));
    const wait = outcome(client.waitForEvent('MIGRATION', { timeoutMs: 5_000 }));
    await peer.waitForCommand('migrate');
    await peer.dropConnection();

    for (const error of [await command, await wait]) {
      expect(error).toBeInstanceOf(QmpDisconnectedError);
      expect((error as Error).message).toContain(peer.socketPath);
    }
    const reason = await client.closed;
    expect(['peer', 'socket-error']).toContain(reason.cause);

    const later = await outcome(client.execute('query-status'));
    expect(later).toBeInstanceOf(QmpDisconnectedError);
    expect((later as QmpDisconnectedError).reason).toBe(reason);
  });

  it('close() is idempotent, rejects pending work and resolves closed', async () => {
    const peer = await startPeer({ handlers: { stuck: () => undefined } });
    const client = await connect(peer);
    const pending = outcome(client.execute('stuck'));
    await peer.waitForCommand('stuck');

    const [first, second] = await Promise.all([client.close(), client.close()]);
    expect(first).toBe(second);
    expect(first.cause).toBe('client');
    expect(await client.close()).toBe(first);
    expect(await client.closed).toBe(first);
    expect(await pending).toBeInstanceOf(QmpDisconnectedError);
    expect(await outcome(client.execute('query-status'))).toBeInstanceOf(QmpDisconnectedError);
    expect(await outcome(client.waitForEvent('STOP', { timeoutMs: 1_000 }))).toBeInstanceOf(QmpDisconnectedError);
  });
});

describe('malformed input', () => {
  it('fails cleanly on a non-JSON line, quoting it', async () => {
    const peer = await startPeer({ handlers: { stuck: () => undefined } });
    const client = await connect(peer);
    const pending = outcome(client.execute('stuck'));
    const wait = outcome(client.waitForEvent('STOP', { timeoutMs: 5_000 }));
    await peer.waitForCommand('stuck');

    peer.sendRaw('this is not json\r\n');

    const error = await pending;
    expect(error).toBeInstanceOf(QmpProtocolError);
    expect((error as Error).message).toContain('"this is not json"');
    expect(await wait).toBe(error);
    const reason = await client.closed;
    expect(reason.cause).toBe('protocol-error');
    expect(reason.error).toBe(error);
    expect(await outcome(client.execute('query-status'))).toBeInstanceOf(QmpDisconnectedError);
  });

  it('truncates a long offending line in the error', async () => {
    const peer = await startPeer();
    const client = await connect(peer);
    peer.sendRaw(`${'x'.repeat(1000)}\n`);

    const { error } = await client.closed;
    expect(error).toBeInstanceOf(QmpProtocolError);
    expect((error as QmpProtocolError).line).toHaveLength(200);
    expect(error?.message).toContain('(1000 chars in all)');
    expect(error?.message.length).toBeLessThan(400);
  });

  it.each([
    ['an unknown object', '{"hello": "world"}'],
    ['an array', '[1, 2, 3]'],
    ['a bare number', '42'],
    ['an event without timestamp', '{"event": "STOP"}'],
    ['an error without desc', '{"error": {"class": "GenericError"}, "id": 1}'],
    ['a reply without id', '{"return": {}}'],
    ['a reply for an id never sent', '{"return": {}, "id": "someone-else"}'],
    [
      'a second greeting',
      JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 }, package: '' }, capabilities: [] } }),
    ],
  ])('fails cleanly on JSON that is not a valid QMP message: %s', async (_name, line) => {
    const peer = await startPeer();
    const client = await connect(peer);
    const wait = outcome(client.waitForEvent('STOP', { timeoutMs: 5_000 }));

    peer.sendRaw(`${line}\r\n`);

    const error = await wait;
    expect(error).toBeInstanceOf(QmpProtocolError);
    expect((error as QmpProtocolError).line).toBe(line);
    expect((await client.closed).cause).toBe('protocol-error');
  });
});

describe('line framing', () => {
  it('reassembles a line split across chunks, even inside a multi-byte character', async () => {
    const peer = await startPeer();
    const client = await connect(peer);
    const bytes = Buffer.from(
      '{"event": "GUEST_NOTE", "data": {"text": "café ☕"}, "timestamp": {"seconds": 1, "microseconds": 2}}\r\n',
    );
    const wait = client.waitForEvent('GUEST_NOTE', { timeoutMs: 2_000 });

    const split = bytes.indexOf(Buffer.from('☕')) + 1; // cut inside the 3-byte character
    for (const piece of [bytes.subarray(0, 5), bytes.subarray(5, split), bytes.subarray(split)]) {
      peer.sendRaw(piece);
      await sleep(10);
    }

    expect((await wait).data).toEqual({ text: 'café ☕' });
  });

  it('handles several lines in one chunk, with \\r\\n or \\n, interleaving replies and events', async () => {
    const peer = await startPeer({ handlers: { a: () => undefined, b: () => undefined } });
    const client = await connect(peer);
    const a = client.execute('a');
    const b = client.execute('b');
    const idA = (await peer.waitForCommand('a')).id;
    const idB = (await peer.waitForCommand('b')).id;
    const ts = '"timestamp": {"seconds": 1, "microseconds": 0}';

    peer.sendRaw(
      `{"return": "B", "id": ${JSON.stringify(idB)}}\r\n` +
        `{"event": "STOP", ${ts}}\n` +
        `\r\n` +
        `{"return": "A", "id": ${JSON.stringify(idA)}}\n` +
        `{"event": "RESUME", ${ts}}\r\n`,
    );

    expect(await Promise.all([a, b])).toEqual(['A', 'B']);
    await client.waitForEvent('RESUME', { timeoutMs: 2_000, since: 0 });
    expect(client.events.map((e) => e.event)).toEqual(['STOP', 'RESUME']);
  });
});

describe('transcript', () => {
  it('records every line sent and received with the clock time', async () => {
    const peer = await startPeer({ handlers: { 'query-status': { return: runningStatus } } });
    const transcript: TranscriptEntry[] = [];
    const client = await connect(peer, { clock: tickingClock(), transcript: (entry) => transcript.push(entry) });

    await client.execute('query-status');
    peer.pushEvent('STOP', undefined, { seconds: 5, microseconds: 6 });
    const stop = await client.waitForEvent('STOP', { timeoutMs: 2_000 });

    expect(transcript.map(({ t, dir }) => [t, dir])).toEqual([
      [1, 'recv'],
      [2, 'send'],
      [3, 'recv'],
      [4, 'send'],
      [5, 'recv'],
      [6, 'recv'],
    ]);
    expect(JSON.parse(transcript[0]?.line ?? '')).toHaveProperty('QMP');
    expect(JSON.parse(transcript[1]?.line ?? '')).toEqual({ execute: 'qmp_capabilities', id: 1 });
    expect(JSON.parse(transcript[3]?.line ?? '')).toEqual({ execute: 'query-status', id: 2 });
    expect(JSON.parse(transcript[4]?.line ?? '')).toEqual({ return: runningStatus, id: 2 });
    expect(transcript[5]?.line).toBe('{"event":"STOP","timestamp":{"seconds":5,"microseconds":6}}');
    expect(stop.receivedAt).toBe(6);
    expect(transcript.every((e) => !e.line.endsWith('\n') && !e.line.endsWith('\r'))).toBe(true);
  });
});

function unusedTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

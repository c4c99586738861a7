// Every failure the QMP client reports is a QmpError, so callers can tell QMP trouble
// from their own bugs with one instanceof check, then refine by subclass.
import type { QmpCloseReason, QmpErrorBody } from './types.ts';

const MAX_QUOTED_CHARS = 200;

export class QmpError extends Error {
  override name = 'QmpError';
}

/** QEMU answered a command with an error reply. */
export class QmpCommandError extends QmpError {
  override name = 'QmpCommandError';
  readonly command: string;
  readonly errorClass: string;
  readonly desc: string;

  constructor(command: string, error: QmpErrorBody) {
    super(`QMP command '${command}' failed: ${error.class}: ${error.desc}`);
    this.command = command;
    this.errorClass = error.class;
    this.desc = error.desc;
  }
}

/** A command reply or an awaited event did not arrive in time. */
export class QmpTimeoutError extends QmpError {
  override name = 'QmpTimeoutError';
  readonly timeoutMs: number;

  constructor(message: string, timeoutMs: number) {
    super(message);
    this.timeoutMs = timeoutMs;
  }
}

/** The connection is gone: pending and later operations fail with this. */
export class QmpDisconnectedError extends QmpError {
  override name = 'QmpDisconnectedError';
  readonly target: string;
  readonly reason: QmpCloseReason;

  constructor(target: string, reason: QmpCloseReason) {
    super(`QMP connection to ${target} closed: ${reason.message}`, { cause: reason.error });
    this.target = target;
    this.reason = reason;
  }
}

/** The peer sent something that is not QMP; the client closes the connection. */
export class QmpProtocolError extends QmpError {
  override name = 'QmpProtocolError';
  readonly target: string;
  readonly problem: string;
  /** The offending line, truncated so a runaway peer cannot flood logs. */
  readonly line: string;

  constructor(target: string, problem: string, line: string) {
    const excerpt = line.slice(0, MAX_QUOTED_CHARS);
    const rest = line.length > excerpt.length ? `… (${line.length} chars in all)` : '';
    super(`QMP protocol error from ${target}: ${problem}: ${JSON.stringify(excerpt)}${rest}`);
    this.target = target;
    this.problem = problem;
    this.line = excerpt;
  }
}

/** connect() failed: refused, no greeting in time, or negotiation failed. */
export class QmpConnectError extends QmpError {
  override name = 'QmpConnectError';
  readonly target: string;
  readonly timedOut: boolean;
  /** errno code of the socket error, e.g. 'ECONNREFUSED' or 'ENOENT', when there was one. */
  readonly code: string | undefined;

  constructor(target: string, message: string, opts: { timedOut: boolean; code?: string; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.target = target;
    this.timedOut = opts.timedOut;
    this.code = opts.code;
  }
}

/** The caller asked for something the connection cannot do (e.g. OOB not negotiated). */
export class QmpUsageError extends QmpError {
  override name = 'QmpUsageError';
}

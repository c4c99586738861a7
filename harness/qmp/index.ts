// Public API of the QMP client. The fake peer is test support: import it from
// './fake-peer.ts' directly so production code never pulls it in.
export { QmpClient, describeTarget } from './client.ts';
export type {
  EventListener,
  EventMatcher,
  QmpConnectOptions,
  QmpExecuteOptions,
  WaitForEventOptions,
} from './client.ts';
export {
  QmpCommandError,
  QmpConnectError,
  QmpDisconnectedError,
  QmpError,
  QmpProtocolError,
  QmpTimeoutError,
  QmpUsageError,
} from './errors.ts';
export type * from './types.ts';

/** What `run` and `scenario` are both told: where hosts run, on what, and where reports go. */
export interface TargetOptions {
  readonly driverOption: Record<string, unknown>;
  readonly hosts: string;
  readonly image: string;
  /** Bug variants of emulated hosts. */
  readonly bug: ReadonlyArray<string>;
  readonly accel: 'auto' | 'kvm' | 'tcg';
  readonly out: string;
}

/** Progress and results, one line each, on the terminal. */
export const say = (line: string): void => void process.stdout.write(`${line}\n`);

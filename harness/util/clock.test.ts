import { describe, expect, it } from 'vitest';
import { MAX_TIME_SCALE, parseTimeScale, timeScale } from './clock.ts';

describe("the run's clock", () => {
  it("runs at the wall clock's pace unless the environment asks for a faster one", () => {
    expect(parseTimeScale(undefined)).toBe(1);
    expect(parseTimeScale('')).toBe(1);
    expect(parseTimeScale('10')).toBe(10);
    expect(parseTimeScale('2.5')).toBe(2.5);
    expect(timeScale).toBe(1); // tests run on the wall clock
  });

  it('refuses a scale it cannot keep, naming the variable and the range', () => {
    for (const bad of ['0', '0.5', 'fast', String(MAX_TIME_SCALE + 1), 'Infinity']) {
      expect(() => parseTimeScale(bad)).toThrow(/CUTOVER_TIME_SCALE=.*a number from 1 to 20/);
    }
  });
});

describe('a faster clock', () => {
  it("turns every wait and reading of a process into the run's milliseconds", async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    // The scale is read once, when the module loads: a process of its own, as vitest's workers and the emulators are.
    const program = `
      const { after, grantedWait, monotonicClock, wallTime } = await import(${JSON.stringify(new URL('./clock.ts', import.meta.url).href)});
      const wall = performance.now(); const run = monotonicClock();
      await new Promise((r) => after(2000, r));
      console.log(JSON.stringify({ wallMs: performance.now() - wall, runMs: monotonicClock() - run, wallTime: wallTime(15), granted: [grantedWait(20_000), grantedWait(1000), grantedWait(90_000)] }));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', program],
      { env: { ...process.env, CUTOVER_TIME_SCALE: '10' } },
    );
    const seen = JSON.parse(stdout) as { wallMs: number; runMs: number; wallTime: number; granted: number[] };
    expect(seen.runMs).toBeGreaterThanOrEqual(1990);
    expect(seen.wallMs).toBeLessThan(1000); // 200 ms at x10; a loaded machine adds, never 5 times it
    expect(seen.wallTime).toBe(150);
    // A wait granted to the implementation keeps up to 5 s of wall time for the programs on its way.
    expect(seen.granted).toEqual([50_000, 10_000, 90_000]);
  });
});

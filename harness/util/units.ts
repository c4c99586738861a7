// Durations and sizes as people write them in scenario files: "20s", "500ms", "8GiB".

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m)$/;
const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|K|M|G)?$/;

export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  const value = Number(m[1]);
  return m[2] === 'ms' ? value : m[2] === 's' ? value * 1000 : value * 60_000;
}

export function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text.trim());
  if (!m) return undefined;
  const factor: Record<string, number> = {
    B: 1,
    K: 1024,
    KiB: 1024,
    M: 1024 ** 2,
    MiB: 1024 ** 2,
    G: 1024 ** 3,
    GiB: 1024 ** 3,
  };
  return Math.round(Number(m[1]) * (factor[m[2] ?? 'B'] ?? 1));
}

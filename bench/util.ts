/** Small helpers shared by the bench scripts. */

/** `--name <number>` from the command line, else `fallback`. */
export const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

/** `--name` present on the command line. */
export const flag = (name: string): boolean => process.argv.includes(`--${name}`);

/** 12345.6 → "12,346". */
export const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

/** The machine-readable result for bench/run.ts: one line, after everything human-readable. */
export const JSON_PREFIX = 'BENCH-JSON ';
export const printJson = (value: unknown): void => console.log(`${JSON_PREFIX}${JSON.stringify(value)}`);

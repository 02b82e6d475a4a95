import { describe, expect, it } from 'vitest';

import { createLogger } from '../../src/lib/logger.js';
import { runUntilSignal } from '../../src/main.js';
import type { RunningService } from '../../src/main.js';

describe('runUntilSignal', () => {
  it('a SIGTERM while the service is still starting waits for the start, then closes it gracefully (no exit 143)', async () => {
    const log = createLogger({ level: 'silent' });
    const order: string[] = [];
    let finishStart!: (s: RunningService) => void;
    const starting = new Promise<RunningService>((resolve) => (finishStart = resolve));
    const exits: number[] = [];
    const stopping = runUntilSignal(starting, { log, exit: (code) => exits.push(code) });
    // The signal arrives before the HTTP server listens (workers may already be consuming jobs).
    process.emit('SIGTERM', 'SIGTERM');
    order.push('signal');
    finishStart({
      close: async () => {
        order.push('close');
      },
    } as unknown as RunningService);
    await expect(stopping).resolves.toBe(0);
    expect(order).toEqual(['signal', 'close']);
    expect(exits).toEqual([]);
  });
});

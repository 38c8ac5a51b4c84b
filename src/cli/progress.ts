import type { Progress } from '../engine/index.js';
import { count } from './count.js';

/** A one-line progress display on a terminal's stderr; nothing when stderr is not a TTY.
 * log-update is loaded only for a terminal (a sixth of the command's start-up time). */
export async function progressLine(
  enabled: boolean,
): Promise<{ update(p: Progress): void; done(): void }> {
  if (!enabled || !process.stderr.isTTY) return { update() {}, done() {} };
  const line = (await import('log-update')).createLogUpdate(process.stderr);
  return {
    update(p) {
      const rate = Math.round(p.states / Math.max(p.seconds, 1e-3));
      line(
        `${count(p.states)} states  ${count(rate)} states/s  queue ${count(p.queue)}  depth ${p.depth}`,
      );
    },
    done() {
      line.clear();
      line.done();
    },
  };
}

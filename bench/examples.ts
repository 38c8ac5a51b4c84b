import type { Model } from '../src/engine/index.js';
import hanoi from '../examples/hanoi.js';
import puzzle8 from '../examples/puzzle8.js';

/** The engine's classic benchmarks as functions of no argument, so worker threads can build
 * them too (the bench's threads figures). */
export const hanoi13 = (): Model => hanoi.build({ disks: 13 });
export const puzzle = (): Model => puzzle8.build({});

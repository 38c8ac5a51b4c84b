import type { Model } from '../src/engine/index.js';
import { buildSystem } from '../src/kernel/index.js';
import { nopin } from '../src/policies/nopin.js';
import { contention } from '../src/scenarios/contention.js';

/** The bench's TDX scenario: contention with four vCPUs (its Promela transcription is
 * bench/contention.pml). A module of its own, so worker threads can build it too. */
export function contention4(): Model {
  return contentionWith(4);
}

/** The contention scenario with `vcpus` vCPUs (the bench's scaling table). */
export function contentionWith(vcpus: number): Model {
  return buildSystem({
    scenario: { ...contention, vcpus },
    policy: nopin,
    faults: contention.faults,
    hvo: false,
  });
}

import { check, type Model } from '../src/engine/index.js';
import { systemModel, vcpuOrbitSize } from '../src/kernel/index.js';
import { nopin } from '../src/policies/nopin.js';
import { contention } from '../src/scenarios/contention.js';

/** The bench's TDX scenario: contention with four vCPUs (its Promela transcription is
 * bench/contention.pml). A module of its own, so worker threads can build it too. */
export function contention4(): Model {
  return contentionWith(4);
}

/** The contention scenario with `vcpus` vCPUs (the bench's scaling table). */
export function contentionWith(vcpus: number): Model {
  return contentionSystem(vcpus).model;
}

const contentionSystem = (vcpus: number) =>
  systemModel({
    scenario: { ...contention, vcpus },
    policy: nopin,
    faults: contention.faults,
    hvo: false,
  });

/** The states of the contention scenario with `vcpus` vCPUs without symmetry reduction, counted
 * by a `--symmetry` run: the sum of the orbit sizes of its states (an invariant sees each
 * distinct state once), exact where the plain search does not fit. */
export function contentionStatesInAll(vcpus: number): { reduced: number; inAll: number } {
  const { model, kernel } = contentionSystem(vcpus);
  let inAll = 0;
  const orbit = (s: Uint8Array) => ((inAll += vcpuOrbitSize(kernel, s)), true);
  const counting = {
    ...model,
    invariants: [...(model.invariants ?? []), { name: 'orbit', doc: 'counts', check: orbit }],
  };
  const r = check(counting, { symmetry: true, liveness: false });
  return { reduced: r.distinctStates, inAll };
}

/**
 * Drives the system model deterministically, one process at a time: the step a process takes is
 * its first enabled action in the model's order, with that action's first result (the outcome
 * without faults). This is how a script performs VMM and guest operations without exploring.
 */
import { SuccessorBuffer } from '../engine/successors.js';
import { viewState, type Action, type Model, type State } from '../engine/index.js';

export interface Taken {
  readonly action: Action;
  readonly call: string;
}

export class Driver {
  state: State;
  /** every step taken so far, with its call text */
  readonly log: Taken[] = [];
  private readonly buf: SuccessorBuffer;
  private readonly row: Uint8Array;

  constructor(readonly model: Model) {
    this.state = model.initial()[0]!;
    const stride = Math.max(4, (model.stateSize + 3) & ~3);
    this.buf = new SuccessorBuffer(model.stateSize, stride);
    this.row = new Uint8Array(stride);
  }

  view(): Record<string, unknown> {
    return viewState(this.model, this.state);
  }

  /** The results `action` would have from the current state. */
  successors(action: Action): State[] {
    this.row.set(this.state);
    this.buf.reset(this.row);
    action.next(this.row.subarray(0, this.model.stateSize), this.buf);
    return Array.from({ length: this.buf.count }, (_, k) => this.buf.view(k).slice());
  }

  /** Takes the first enabled action that `pick` accepts, with the first result it accepts. */
  step(pick: (a: Action) => boolean, result: (a: Action, next: State) => boolean = () => true): Taken | undefined {
    for (const action of this.model.actions) {
      if (!pick(action)) continue;
      const next = this.successors(action).find((n) => result(action, n));
      if (!next) continue;
      const taken = { action, call: action.explain?.(this.state, next) ?? '' };
      this.state = next;
      this.log.push(taken);
      return taken;
    }
    return undefined;
  }
}

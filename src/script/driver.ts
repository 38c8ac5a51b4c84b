/**
 * Drives the system model deterministically, one process at a time: the step a process takes is
 * its first enabled action in the model's order, with that action's first result (the outcome
 * without faults). This is how a script performs VMM and guest operations without exploring.
 */
import { Expander, viewState, type Action, type Model, type State } from '../engine/index.js';

export interface Taken {
  readonly action: Action;
  readonly call: string;
}

export class Driver {
  state: State;
  /** every step taken so far, with its call text */
  readonly log: Taken[] = [];
  private readonly expander: Expander;

  constructor(readonly model: Model) {
    this.state = model.initial()[0]!;
    this.expander = new Expander(model);
  }

  view(): Record<string, unknown> {
    return viewState(this.model, this.state);
  }

  /** Takes the first enabled action that `pick` accepts, with the first result it accepts. */
  step(
    pick: (a: Action) => boolean,
    result: (a: Action, next: State) => boolean = () => true,
  ): Taken | undefined {
    const first = this.expander
      .of(this.state, pick)
      .find((s) => result(this.model.actions[s.action]!, s.next));
    if (!first) return undefined;
    const action = this.model.actions[first.action]!;
    const taken = { action, call: action.explain?.(this.state, first.next) ?? '' };
    this.state = first.next;
    this.log.push(taken);
    return taken;
  }
}

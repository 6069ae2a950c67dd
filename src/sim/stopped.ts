/** Why a simulation was stopped early. */
export type StopReason =
  'event-budget' | 'timer-storm' | 'zero-delay-loop' | 'connect-storm' | 'request-storm' | 'horizon' | 'nondeterminism';

/**
 * A simulation stopped by a guard or a trap. The message names the client, the timer or
 * request at fault and the virtual time, so a runaway client is a readable failure and
 * never a hang.
 */
export class SimulationStopped extends Error {
  /** The error name. */
  override readonly name = 'SimulationStopped';
  constructor(
    /** Which guard or trap fired. */
    readonly reason: StopReason,
    /** The node at fault (`c1`, `server`). */
    readonly owner: string,
    /** The timer, socket or request at fault (`c1/timer#3`, `c1/ws#9`). */
    readonly subject: string,
    /** Virtual time in ms. */
    readonly at: number,
    message: string,
  ) {
    super(message);
    // The message is the guard's verdict, shared by the rejected run, `sim.stopped` and the
    // trace's `guard.stop` line: code that annotates errors it catches (`e.message = …`)
    // must not rewrite it. Assignments are ignored rather than thrown, so such code still runs.
    Object.defineProperty(this, 'message', { get: () => message, set: () => {}, enumerable: false, configurable: true });
  }
}

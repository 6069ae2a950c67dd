// The program behind the `lockstep` command. It runs whenever it is loaded: npm and npx
// start a package's bin through symlinks, so no "am I the main module?" path comparison
// may decide whether the program runs (TOOLCHAIN.md).
import { SimulationStopped } from '../sim/stopped.js';
import { main } from './main.js';

/**
 * A guard or trap that fires inside client code's async function becomes a rejected
 * promise nobody handles; the run has already stopped and traced why, so it must not
 * crash the command. Any other unhandled rejection is the client's own bug: reported,
 * not fatal.
 */
function tolerateClientRejections(err: (s: string) => void): void {
  process.on('unhandledRejection', (reason) => {
    if (reason instanceof SimulationStopped) return;
    err(`warning: a promise rejection was left unhandled (client code run in lockstep's own thread, or lockstep itself): ${reason instanceof Error ? reason.message : String(reason)}`);
  });
}

/**
 * A reader that stops early (`lockstep list | head`) closes the pipe: stop quietly, as Unix
 * tools do — but never with a 0 the command did not earn (the work was cut short).
 */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 1);
      throw e;
    });
  }
}

quietOnClosedPipe();
tolerateClientRejections(console.error);
process.exitCode = await main(process.argv.slice(2));

/** The `mlscale` program: commands, and the mapping of errors to exit codes. */
import { Command, CommanderError } from 'commander';
import { PrometheusClient } from '../prometheus/client.js';
import { PrometheusError } from '../prometheus/errors.js';
import { registerCalibrateCommand } from './calibrate.js';
import { registerCheckCommand } from './check.js';
import { CliError, ExitCode } from './exit-codes.js';
import { registerPlanCommand } from './plan.js';
import { registerSimulateCommand } from './simulate.js';
import { registerWatchCommand } from './watch.js';

/**
 * Builds the `mlscale` program (exported for tests).
 *
 * @param makeClient - Prometheus client factory (default: `new PrometheusClient({ url })`)
 * @returns the commander program, with `exitOverride` set
 */
export function buildProgram(
  makeClient: (url: string) => PrometheusClient = (url) => new PrometheusClient({ url }),
): Command {
  const program = new Command('mlscale')
    .description(
      'Check, watch and simulate Kubernetes autoscaling of ML inference on Prometheus metrics',
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerSimulateCommand(program, makeClient);
  registerWatchCommand(program, makeClient);
  registerCheckCommand(program);
  registerCalibrateCommand(program);
  registerPlanCommand(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/**
 * Maps an error to a message and an exit code.
 *
 * @param error - anything thrown by a command
 * @returns the exit code and the message to print (empty when commander already printed it)
 */
export function exitCodeFor(error: unknown): { code: number; message: string } {
  if (error instanceof CommanderError) {
    const ok = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(
      error.code,
    );
    return { code: ok ? ExitCode.Ok : ExitCode.Usage, message: '' };
  }
  if (error instanceof CliError) return { code: error.exitCode, message: error.message };
  if (error instanceof PrometheusError) {
    const unreachable = error.kind === 'unreachable' || error.kind === 'timeout';
    return {
      code: unreachable ? ExitCode.PrometheusUnreachable : ExitCode.PrometheusError,
      message: error.message,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: ExitCode.Internal, message: `internal error: ${message} (please report this)` };
}

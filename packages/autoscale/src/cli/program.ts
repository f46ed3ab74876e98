/** The `mlscale` program: commands, and the mapping of errors to exit codes. */
import { Command, CommanderError } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { PrometheusClient } from '../prometheus/client.js';
import { PrometheusError } from '../prometheus/errors.js';
import { registerCalibrateCommand } from './calibrate.js';
import { registerCheckCommand } from './check.js';
import { registerEnvelopeCommand } from './envelope.js';
import { CliError, ExitCode } from './exit-codes.js';
import { registerPlanCommand } from './plan.js';
import { registerSimulateCommand } from './simulate.js';
import { registerTuneCommand } from './tune.js';
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
    .version(packageJson.version, '-V, --version', 'print the version of mlscale')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerSimulateCommand(program, makeClient);
  registerWatchCommand(program, makeClient);
  registerCheckCommand(program);
  registerCalibrateCommand(program);
  registerPlanCommand(program);
  registerTuneCommand(program);
  registerEnvelopeCommand(program);
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
  const fileError = fileErrorMessage(error);
  if (fileError) return { code: ExitCode.Usage, message: fileError };
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

/** Errors of the file system that the user's input caused (a path that cannot be written or read). */
const FILE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a folder',
  ENOTDIR: 'a part of the path is not a folder',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EEXIST: 'it already exists',
};

function fileErrorMessage(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, path, syscall } = error as NodeJS.ErrnoException;
  if (code === undefined || path === undefined || !(code in FILE_ERRORS)) return undefined;
  const verb =
    syscall === 'open' || syscall === 'write' || syscall === 'mkdir'
      ? 'cannot write or open'
      : 'cannot use';
  return `${verb} ${path}: ${FILE_ERRORS[code]}`;
}

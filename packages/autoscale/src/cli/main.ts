/**
 * `mlscale`: see what the autoscaler will do before a cluster does.
 * Exit codes: 0 ok, 1 findings, 2 usage, 3 Prometheus unreachable, 4 Prometheus error, 70 internal.
 */
import { ExitCode } from './exit-codes.js';
import { buildProgram, exitCodeFor } from './program.js';

// The reader went away (`mlscale ... | head`): stop quietly, as other command-line tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCode.Ok);
  process.stderr.write(`mlscale: cannot write the output: ${error.message}\n`);
  process.exit(ExitCode.Internal);
});

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return ExitCode.Ok;
  } catch (error) {
    const { code, message } = exitCodeFor(error);
    if (message) process.stderr.write(`mlscale: ${message}\n`);
    return code;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});

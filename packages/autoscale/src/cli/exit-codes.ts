/** Exit codes of `mlscale`, for scripts (documented in the package README). */
export const ExitCode = {
  /** Everything went as asked. */
  Ok: 0,
  /** A check failed or found problems. */
  Findings: 1,
  /** Bad flags, a missing or invalid file: fix the command line or the input. */
  Usage: 2,
  /** Prometheus could not be reached (refused, DNS, timeout). */
  PrometheusUnreachable: 3,
  /** Prometheus answered with an error (invalid query, HTTP error, not a Prometheus API). */
  PrometheusError: 4,
  /** The pod under test (`mlscale calibrate`) could not be reached or refused the first request. */
  TargetUnreachable: 5,
  /** An unexpected internal error (a bug: please report it). */
  Internal: 70,
} as const;

/** An error that ends the command with a given exit code and a message for a person. */
export class CliError extends Error {
  /** The process exit code. */
  readonly exitCode: number;
  /**
   * @param message - what went wrong and what to do
   * @param exitCode - one of {@link ExitCode}
   */
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

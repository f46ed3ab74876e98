/**
 * The environment for running npm as a user would from a shell. When this check runs under pnpm
 * (`pnpm check:packages`), pnpm's `npm_config_user_agent` is inherited, and npm would take it as
 * its own: a package's `prepack` would then believe pnpm is packing it.
 *
 * @returns {NodeJS.ProcessEnv}
 */
export function npmEnv() {
  const { npm_config_user_agent: _ignored, ...env } = process.env;
  return env;
}

/**
 * The environment for running npm as a user would from a shell. When this check runs under pnpm
 * (`pnpm check:packages`), pnpm's `npm_config_user_agent` is inherited, and npm would take it as
 * its own user agent (what registries and lifecycle scripts see).
 *
 * @returns {NodeJS.ProcessEnv}
 */
export function npmEnv() {
  const { npm_config_user_agent: _ignored, ...env } = process.env;
  return env;
}

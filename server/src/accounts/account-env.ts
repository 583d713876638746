import type { CreatedAccount } from './accounts.service.js';

/** Single-quoted for a POSIX shell: nothing inside is expanded; a quote becomes '\''. */
const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/** The shell variables `account create --env` sets, in the order printed. */
export const ACCOUNT_ENV_NAMES = ['ACCOUNT_ID', 'FLOW_KEY', 'AGENT_KEY', 'SIGNING_SECRET'] as const;

/**
 * `export` lines of a new account's id, keys and signing secret, for
 * `eval "$(npm run -s cheqpoint -- account create <name> --env)"`. This is the one place the keys are
 * printed in that form, on stdout only, for the shell to read. The account's name stays out of it, so
 * no name can put a command into what the shell evaluates.
 */
export function accountEnvLines(created: CreatedAccount): string {
  const values: Record<(typeof ACCOUNT_ENV_NAMES)[number], string> = {
    ACCOUNT_ID: created.accountId,
    FLOW_KEY: created.flowKey,
    AGENT_KEY: created.agentKey,
    SIGNING_SECRET: created.signingSecret,
  };
  return [
    `# Cheqpoint account ${created.accountId}: its keys, shown only once, as shell variables.`,
    '# For eval "$(npm run -s cheqpoint -- account create <name> --env)"; store them now.',
    ...ACCOUNT_ENV_NAMES.map((name) => `export ${name}=${shellQuote(values[name])}`),
    '',
  ].join('\n');
}

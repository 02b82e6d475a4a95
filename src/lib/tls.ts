/** The environment switch that turns off certificate verification for every outbound TLS connection in Node. */
const TLS_SWITCH = 'NODE_TLS_REJECT_UNAUTHORIZED';

/**
 * Refuses to start with TLS verification disabled process-wide (docs/reliability.md §4 #16): PSA credentials and webhook
 * signing keys would otherwise travel to whoever answers. Throws with a one-line, actionable message.
 */
export function assertTlsVerification(env: Readonly<Record<string, string | undefined>> = process.env): void {
  if (env[TLS_SWITCH] === '0') {
    throw new Error(
      `${TLS_SWITCH}=0 disables TLS certificate verification for PSA calls: unset it (psa-escalator never runs without TLS verification)`,
    );
  }
}

/** Values for every `${VAR}` of examples/escalator.yaml; only the Autotask webhook secret matters here. */
export function exampleEnv(webhookSecret: string): Record<string, string> {
  return {
    AT_USERNAME: 'bench@example.test',
    AT_SECRET: 'bench-secret',
    AT_INTEGRATION_CODE: 'BENCHCODE',
    AT_WEBHOOK_SECRET: webhookSecret,
    CW_CLIENT_ID: '00000000-0000-0000-0000-000000000000',
    CW_PUBLIC_KEY: 'benchpub',
    CW_PRIVATE_KEY: 'benchpriv',
    HALO_CLIENT_ID: 'bench',
    HALO_CLIENT_SECRET: 'bench-secret',
    HALO_WEBHOOK_PASSWORD: 'bench-password-0123456789',
    MANAGERS_WEBHOOK_URL: 'http://127.0.0.1:9/managers',
    ONCALL_SLACK_URL: 'http://127.0.0.1:9/oncall',
  };
}

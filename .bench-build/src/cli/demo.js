import { parseEnv } from '../config/env.js';
import { runDemo } from '../demo/run.js';
import { parseFlags, writeLines } from './args.js';
export const usage = `Usage: psa-escalator demo [--exit]

Plays a morning at an MSP in about 20 seconds: built-in ConnectWise, Autotask and HaloPSA sandboxes on localhost
send signed webhooks to the service (embedded Redis, built-in demo config in enforce mode, no credentials needed),
which escalates tickets according to the example policy: an emergency security ticket, a T1 timeout with a handoff
note, a VIP fast lane, an orphan ticket, an SLA breach with a customer note, a recurring incident and duplicate
webhook bursts, on an accelerated clock. Prints each decision as it happens and a summary table, then keeps serving
/docs and /api/* until Ctrl-C.
  --exit   stop after the summary (exit 0 when every sandbox received an escalation listed by /api/escalations)

Honours PORT (8080), HOST (default here: 127.0.0.1), ADMIN_TOKEN (else one is generated and printed), REDIS_URL
(else a private redis-server in a temporary directory), LOG_LEVEL (default here: warn; service logs go to stderr).
`;
export async function run(args, io) {
    const { values } = parseFlags(args, { exit: { type: 'boolean' } });
    const env = parseEnv(io.env);
    if (!env.ok) {
        writeLines(io.stderr, env.error);
        return 1;
    }
    // The live log is the demo's output: service logs stay quiet (warnings and errors only) unless LOG_LEVEL says otherwise.
    const logLevel = io.env['LOG_LEVEL'] ? env.value.logLevel : 'warn';
    const code = await runDemo({
        env: { ...env.value, logLevel },
        host: io.env['HOST'] ? env.value.host : '127.0.0.1',
        exit: values.exit === true,
        print: (...lines) => writeLines(io.stdout, lines),
    });
    // Everything is closed; should a library still hold a handle, do not hang.
    setTimeout(() => process.exit(code), 2_000).unref();
    return code;
}
//# sourceMappingURL=demo.js.map
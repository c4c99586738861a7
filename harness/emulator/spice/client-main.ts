import { EmulatedSpiceClient } from './client.ts';

// The emulated SPICE client as a program: `client-main.ts spice://HOST:PORT`, started by the
// spice-client step where the hosts' QEMUs are emulated (their SPICE is the emulated one).

const uri = process.argv[2] ?? '';
const at = /^spice:\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(uri);
const log = (line: string): void => void process.stdout.write(`${new Date().toISOString()} ${line}\n`);
if (!at?.[1] || !at[2]) {
  process.stderr.write(`usage: client-main.ts spice://HOST:PORT (got '${uri}')\n`);
  process.exit(2);
}
const client = new EmulatedSpiceClient(log, (code) => process.exit(code));
client.open({ host: at[1], port: Number(at[2]) }).catch((err: Error) => {
  log(`cannot connect: ${err.message}`);
  process.exit(1);
});
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => process.exit(0));

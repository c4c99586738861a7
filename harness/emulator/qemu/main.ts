import { isEmulatedSwitch, type EmulatedSwitch } from '../../hosts/emulated/bugs.ts';
import { parseLaunch } from './cmdline.ts';
import { receiveCprState } from './cpr.ts';
import { Machine } from './machine.ts';
import { Monitor } from './monitor.ts';

// An emulated QEMU as a program: `main.ts [--emulate VERSION] [--bug ID]... -- <QEMU's own
// command line>`. cutover's qemu driver starts it as it starts qemu-system-x86_64 (the host
// provider puts the part before `--` in the emulator's prefix), so the driver is tested too.

async function main(argv: string[]): Promise<void> {
  const split = argv.indexOf('--');
  const own = split >= 0 ? argv.slice(0, split) : [];
  const qemuArgs = split >= 0 ? argv.slice(split + 1) : argv;
  let version = '7.2.0';
  const bugs = new Set<EmulatedSwitch>();
  for (let i = 0; i < own.length; i++) {
    if (own[i] === '--emulate') version = own[++i] ?? version;
    else if (own[i] === '--bug') {
      const id = own[++i] ?? '';
      if (!isEmulatedSwitch(id)) throw new Error(`unknown emulated bug '${id}'`);
      bugs.add(id);
    }
  }
  if (qemuArgs.includes('--version')) {
    process.stdout.write(`QEMU emulator version ${version} (cutover emulated)\n`);
    return;
  }
  // What the qemu driver probes: SPICE with seamless migration (-spice help lists it and
  // exits 1, as QEMU does), and the IDE disk the disk-reading guest reads (-device help).
  if (qemuArgs[0] === '-spice' && qemuArgs[1] === 'help') {
    process.stdout.write(
      'spice options:\n  port=<num>\n  addr=<str>\n  disable-ticketing=<bool>\n  seamless-migration=<bool>\n',
    );
    process.exit(1);
  }
  if (qemuArgs[0] === '-device' && qemuArgs[1] === 'help') {
    process.stdout.write(
      'Storage devices:\nname "ide-cd", bus IDE, desc "virtual IDE CD-ROM"\nname "ide-hd", bus IDE, desc "virtual IDE disk"\n',
    );
    return;
  }
  const launch = parseLaunch(qemuArgs);
  // Set before anything waits: a cpr-transfer destination may wait for its state for ever.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => process.exit(0));
  const monitor: { peer?: Awaited<ReturnType<Monitor['listen']>> } = {};
  const vm = new Machine(launch, version, bugs, (event, data) => monitor.peer?.pushEvent(event, data));
  // A cpr-transfer destination waits for its CPR state before anything else: no monitor until then.
  const cprPath = launch.incomingChannels?.cpr;
  const cpr = cprPath !== undefined ? await receiveCprState(cprPath) : undefined;
  if (vm.spice) await vm.spice.listen();
  await vm.openDisks();
  if (launch.serialSocket) await vm.guest.connectSerial(launch.serialSocket);
  const qmp = new Monitor(vm);
  monitor.peer = await qmp.listen();
  if (launch.incomingChannels?.main !== undefined) await qmp.startIncoming(launch.incomingChannels.main, cpr?.state);
  // The cpr channel's HUP tells the source the main channel listens.
  cpr?.hangUp();
  if (!launch.incoming) {
    if (launch.startPaused) throw new Error('-S without -incoming is not emulated (the guest would wait in prelaunch)');
    vm.setRunState('running');
    vm.guest.boot();
  }
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`qemu-system-x86_64: ${err.message}\n`);
  process.exit(1);
});

import { runImg } from './img.ts';

// The emulated qemu-img as a program: what an emulated host runs when asked for `qemu-img`.

const result = runImg(process.argv.slice(2));
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.code;

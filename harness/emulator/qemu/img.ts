import { writeFileSync } from 'node:fs';
import { truncateSync } from 'node:fs';
import { allocationMap, OverlayImage, openImage, SECTOR } from './image.ts';

// The emulated qemu-img: the subcommands cutover runs on a host (the qemu driver's overlay
// for a streamed disk, the harness's reading of a disk after the fact), on the emulator's
// images (image.ts). -U (no lock) is taken: the emulated QEMU takes no image locks.

export interface ImgResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const fail = (message: string): ImgResult => ({ code: 1, stdout: '', stderr: `qemu-img: ${message}\n` });

/** Options with a value of the subcommands emulated; the rest are flags. */
const WITH_VALUE = new Set(['-f', '-O', '--output', '-o', '-F', '-b']);

function parse(args: ReadonlyArray<string>): { options: Map<string, string>; positional: string[] } {
  const options = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const eq = /^(--[a-z-]+)=(.*)$/.exec(arg);
    if (eq?.[1] !== undefined && eq[2] !== undefined) options.set(eq[1], eq[2]);
    else if (WITH_VALUE.has(arg)) options.set(arg, args[++i] ?? '');
    else if (arg.startsWith('-')) options.set(arg, '');
    else positional.push(arg);
  }
  return { options, positional };
}

function size(text: string): number {
  const m = /^(\d+)([kKMGT]?)$/.exec(text);
  if (!m) throw new Error(`Invalid image size specified. Must be between 0 and 9223372036854775807.`);
  const unit = { '': 1, k: 1024, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * unit;
}

function format(options: Map<string, string>, flag = '-f'): 'raw' | 'qcow2' {
  const f = options.get(flag) ?? 'raw';
  if (f !== 'raw' && f !== 'qcow2') throw new Error(`Unknown file format '${f}'`);
  return f;
}

export function runImg(argv: ReadonlyArray<string>, version = '7.2.0'): ImgResult {
  const [command, ...rest] = argv;
  try {
    if (command === '--version' || command === '-V')
      return { code: 0, stdout: `qemu-img version ${version} (cutover emulated)\n`, stderr: '' };
    const { options, positional } = parse(rest);
    switch (command) {
      case 'create': {
        const [path, bytes] = positional;
        if (!path || !bytes) return fail('Expecting image file name and size');
        const f = format(options);
        if (f === 'qcow2') OverlayImage.create(path, size(bytes));
        else {
          writeFileSync(path, '');
          truncateSync(path, size(bytes));
        }
        return { code: 0, stdout: `Formatting '${path}', fmt=${f} size=${size(bytes)}\n`, stderr: '' };
      }
      case 'map': {
        const [path] = positional;
        if (!path) return fail('Expecting one image file name');
        if (options.get('--output') !== 'json') return fail('only --output=json is emulated');
        const image = openImage(path, format(options), false);
        try {
          const entries = allocationMap(image).map((run) => ({
            start: run.start,
            length: run.length,
            depth: 0,
            present: run.data,
            zero: !run.data,
            data: run.data,
            ...(run.data && { offset: run.start }),
          }));
          return { code: 0, stdout: `${JSON.stringify(entries, null, 0)}\n`, stderr: '' };
        } finally {
          image.close();
        }
      }
      case 'convert': {
        const [from, to] = positional;
        if (!from || !to) return fail('Expecting image file name and output file name');
        if ((options.get('-O') ?? 'raw') !== 'raw') return fail('only -O raw is emulated');
        const image = openImage(from, format(options), false);
        try {
          writeFileSync(to, image.read(0, image.sectors));
        } finally {
          image.close();
        }
        return { code: 0, stdout: '', stderr: '' };
      }
      case 'info': {
        const [path] = positional;
        if (!path) return fail('Expecting one image file name');
        const image = openImage(path, format(options), false);
        try {
          const info = { filename: path, format: image.format, 'virtual-size': image.sectors * SECTOR };
          return {
            code: 0,
            stdout:
              options.get('--output') === 'json'
                ? `${JSON.stringify(info)}\n`
                : `image: ${path}\nfile format: ${image.format}\nvirtual size: ${image.sectors * SECTOR}\n`,
            stderr: '',
          };
        } finally {
          image.close();
        }
      }
      default:
        return fail(`Command not found: ${command ?? ''}`);
    }
  } catch (err) {
    return fail((err as Error).message);
  }
}

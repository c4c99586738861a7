import { connect, type Socket } from 'node:net';
import { CLIENT_CHANNELS, MAIN_CHANNEL, onMessages, send } from './wire.ts';
import { after } from '../../util/clock.ts';

// cutover's emulated SPICE client, the emulated target's stand-in for remote-viewer: it opens
// a session (main channel, then the others a moment apart, as spice-gtk does), and when the
// source tells it to switch it links every channel to the target under the same connection
// id and only then leaves the source. A target that never answers keeps it waiting, a
// refused one leaves it with the source. It ends when the session it is on ends. Being a
// process of its own, SIGSTOP stalls it as it stalls remote-viewer.

const CHANNEL_GAP_MS = 30;

type Address = { host: string; port: number };

export class EmulatedSpiceClient {
  private channels: Socket[] = [];
  private connection = 0;

  constructor(
    private readonly log: (line: string) => void,
    private readonly ended: (code: number) => void,
  ) {}

  async open(at: Address): Promise<void> {
    const main = await this.link(at, MAIN_CHANNEL, false);
    this.channels = [main.socket];
    this.connection = main.connection;
    this.log(`session ${this.connection} at ${at.host}:${at.port}`);
    this.watchMain(main.socket);
    for (const type of CLIENT_CHANNELS.filter((c) => c !== MAIN_CHANNEL)) {
      await new Promise<void>((r) => after(CHANNEL_GAP_MS, r));
      this.channels.push((await this.link(at, type, false)).socket);
    }
  }

  private watchMain(main: Socket): void {
    onMessages(main, (message) => {
      if (message.t === 'switch') void this.switchTo(message);
    });
    main.on('close', () => {
      if (this.channels[0] !== main) return; // left behind by a switch
      this.log('the session ended');
      this.ended(0);
    });
  }

  /** Seamless switch: every channel linked at the target first, then the source left. */
  private async switchTo(target: Address): Promise<void> {
    this.log(`switching to ${target.host}:${target.port}`);
    let links: Array<{ socket: Socket; connection: number }>;
    try {
      links = await Promise.all(CLIENT_CHANNELS.map((type) => this.link(target, type, true)));
    } catch (err) {
      this.log(`cannot reach the target (${(err as Error).message}): staying with the source`);
      return;
    }
    const old = this.channels;
    this.channels = links.map((l) => l.socket);
    this.connection = links[0]?.connection ?? this.connection;
    for (const socket of old) socket.destroy();
    const main = this.channels[0];
    if (main) this.watchMain(main);
    this.log(`session ${this.connection} at ${target.host}:${target.port}`);
  }

  private link(at: Address, channel: number, migrating: boolean): Promise<{ socket: Socket; connection: number }> {
    return new Promise((resolve, reject) => {
      const socket = connect(at.port, at.host);
      socket.on('error', reject);
      socket.once('connect', () =>
        send(socket, { t: 'link', channel, id: 0, connection: this.connection, ...(migrating && { migrating }) }),
      );
      onMessages(socket, (message) => {
        if (message.t === 'linked') resolve({ socket, connection: message.connection });
      });
    });
  }
}

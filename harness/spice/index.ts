// The client side of the SPICE family: a headless X display and remote-viewer on it. The
// blackhole that swallows a relocated client is a fault: '../faults/blackhole.ts'.
export { startDisplay, x11Handshake, displayTaken } from './display.ts';
export type { Display, StartDisplayOptions } from './display.ts';
export { startSpiceClient, spiceUri, clientArguments, clientEnvironment } from './client.ts';
export type { SpiceClient, StartSpiceClientOptions } from './client.ts';

/**
 * Types for the parts of the `ws` package (8.x) that real-socket mode uses. The package
 * ships no types and `@types/ws` is not a dependency, so they are declared here: the
 * frame parser and writer (`Receiver`, `Sender`, exported by `ws` itself) for the
 * server side, and the client `WebSocket` for test clients.
 */
declare module 'ws' {
  import type { EventEmitter } from 'node:events';
  import type { Duplex, Writable } from 'node:stream';

  /** Parses WebSocket frames written into it; emits `message`, `conclude`, `ping`, `pong`, `error`. */
  export class Receiver extends Writable {
    constructor(options?: {
      allowSynchronousEvents?: boolean;
      binaryType?: 'nodebuffer' | 'arraybuffer' | 'fragments';
      extensions?: Record<string, unknown>;
      isServer?: boolean;
      maxPayload?: number;
      skipUTF8Validation?: boolean;
    });
    on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
    on(event: 'conclude', listener: (code: number, reason: Buffer) => void): this;
    on(event: 'ping' | 'pong', listener: (data: Buffer) => void): this;
    on(event: 'error', listener: (err: Error & { code?: string }) => void): this;
    on(event: string, listener: (...args: never[]) => void): this;
  }

  /** Writes WebSocket frames to a socket. */
  export class Sender {
    constructor(socket: Duplex, extensions?: Record<string, unknown>, generateMask?: (mask: Buffer) => void);
    onerror: (err: Error) => void;
    send(
      data: string | Buffer,
      options: { binary?: boolean; compress?: boolean; fin?: boolean; mask?: boolean },
      cb?: (err?: Error) => void,
    ): void;
    close(code: number | undefined, data?: string | Buffer, mask?: boolean, cb?: (err?: Error) => void): void;
    ping(data: string | Buffer, mask?: boolean, cb?: (err?: Error) => void): void;
    pong(data: string | Buffer, mask?: boolean, cb?: (err?: Error) => void): void;
  }

  /** The client WebSocket of `ws` (Node-style events). */
  export class WebSocket extends EventEmitter {
    static readonly CONNECTING: 0;
    static readonly OPEN: 1;
    static readonly CLOSING: 2;
    static readonly CLOSED: 3;
    constructor(
      address: string | URL,
      protocols?: string | string[],
      options?: {
        headers?: Record<string, string>;
        handshakeTimeout?: number;
        perMessageDeflate?: boolean;
        followRedirects?: boolean;
        maxPayload?: number;
      },
    );
    readonly readyState: 0 | 1 | 2 | 3;
    readonly protocol: string;
    readonly bufferedAmount: number;
    readonly url: string;
    binaryType: 'nodebuffer' | 'arraybuffer' | 'fragments';
    send(data: string | Buffer | ArrayBuffer | ArrayBufferView, cb?: (err?: Error) => void): void;
    send(
      data: string | Buffer | ArrayBuffer | ArrayBufferView,
      options: { binary?: boolean; compress?: boolean; fin?: boolean; mask?: boolean },
      cb?: (err?: Error) => void,
    ): void;
    close(code?: number, reason?: string | Buffer): void;
    terminate(): void;
    ping(data?: string | Buffer): void;
    on(event: 'open', listener: () => void): this;
    on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
    on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: string, listener: (...args: never[]) => void): this;
  }
  export default WebSocket;
}

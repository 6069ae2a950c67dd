const nullBodyStatus = new Set([101, 103, 204, 205, 304]);
const encoder = new TextEncoder();

/**
 * A real `Response` (it passes `instanceof Response`, has real `Headers`) whose body is
 * held as text and handed out directly. Building a platform `Response` around a string
 * costs a web stream per response (~8 µs); this keeps an hour of simulated polling cheap
 * while `text()`, `json()`, `arrayBuffer()`, `blob()`, `bytes()`, `body`, `bodyUsed` and
 * `clone()` behave as the platform's do.
 */
export class SimResponse extends Response {
  #text: string;
  #used = false;
  #url: string;
  #stream: ReadableStream<Uint8Array<ArrayBuffer>> | null | undefined;

  constructor(text: string, init: ResponseInit, url: string) {
    super(null, init);
    this.#text = nullBodyStatus.has(init.status ?? 200) ? '' : text;
    this.#url = url;
  }

  override get url(): string {
    return this.#url;
  }
  override get bodyUsed(): boolean {
    return this.#used;
  }
  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    if (this.#stream === undefined) {
      if (nullBodyStatus.has(this.status)) this.#stream = null;
      else {
        const bytes = encoder.encode(this.#text) as Uint8Array<ArrayBuffer>;
        // The bytes are handed out on the first read (highWaterMark 0: nothing is pulled
        // eagerly), which is what marks the body disturbed, as on the platform.
        this.#stream = new ReadableStream<Uint8Array<ArrayBuffer>>(
          {
            pull: (c) => {
              this.#used = true;
              if (bytes.byteLength > 0) c.enqueue(bytes);
              c.close();
            },
          },
          { highWaterMark: 0 },
        );
      }
    }
    return this.#stream;
  }
  override text(): Promise<string> {
    return this.#consume().then(() => this.#text);
  }
  override json(): Promise<any> {
    return this.#consume().then(() => JSON.parse(this.#text) as unknown);
  }
  override arrayBuffer(): Promise<ArrayBuffer> {
    return this.#consume().then(() => encoder.encode(this.#text).buffer as ArrayBuffer);
  }
  override bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#consume().then(() => encoder.encode(this.#text) as Uint8Array<ArrayBuffer>);
  }
  override blob(): Promise<Blob> {
    return this.#consume().then(() => new Blob([this.#text], { type: this.headers.get('content-type') ?? '' }));
  }
  override clone(): Response {
    if (this.#used || this.#stream?.locked) throw new TypeError('Response.clone: Body has already been consumed.');
    return new SimResponse(this.#text, { status: this.status, statusText: this.statusText, headers: this.headers }, this.#url);
  }
  #consume(): Promise<void> {
    if (this.#used) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    if (this.#stream?.locked) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    this.#used = true;
    return Promise.resolve();
  }
}

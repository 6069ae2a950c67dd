import { liveTiming, type LiveChat, type LiveMessage, type WidgetSnapshot } from './wire.js';

/** Timing of a widget (defaults: docs/protocols/live-support.md). */
export interface WidgetConfig {
  pollInterval: number;
}

/** The reference configuration. */
export const defaultWidgetConfig: WidgetConfig = { pollInterval: liveTiming.pollInterval };

/** What happens to the widget: user actions, timer ticks, answers. */
export type WidgetEvent =
  | { type: 'mount'; email: string; chat: string }
  | { type: 'unmount' }
  | { type: 'switch'; chat: string }
  | { type: 'send'; text: string }
  /** Interval `interval` fired. */
  | { type: 'tick'; interval: number }
  /**
   * A poll answered: the customer's chats (`[]` for an unknown customer), or `undefined`
   * when it failed — `malformed` when the answer was a 2xx whose body could not be read as
   * the chat list (a captive portal's HTML page, a truncated body).
   */
  | { type: 'poll-done'; request: number; chats: LiveChat[] | undefined; status?: number; malformed?: boolean }
  /** A send answered: the stored message, or `undefined` when it failed. */
  | { type: 'send-done'; request: number; message: LiveMessage | undefined; status?: number };

/** What the widget asks its shell to do. */
export type WidgetCommand =
  | { type: 'get'; request: number; email: string }
  | { type: 'post'; request: number; email: string; chat: string; content: string }
  | { type: 'set-interval'; interval: number; ms: number }
  | { type: 'clear-interval'; interval: number }
  | { type: 'log'; message: string; fields?: Record<string, unknown> };

/**
 * One run of the polling effect: the values of its dependencies it closed over, and its
 * interval. It is active (the source's `isActive`) while it is the current run.
 */
export interface EffectRun {
  /** Counts the runs of this widget. */
  id: number;
  /** The `email` dependency it closed over. */
  email: string;
  /** The `currentChatId` dependency it closed over. */
  chat: string;
  /** Its interval (the shell's timer of that number). */
  interval: number;
}

/**
 * The widget's decisions, with no I/O: a model of the React component of the source
 * document. Its polling effect depends on `[stage, currentChatId, email]`: whenever one of
 * them changes (mount, unmount, chat switch) the previous run is cleaned up — `isActive =
 * false`, `clearInterval` — and, while mounted, the effect runs again: one poll at once,
 * then one every 2 s. A poll's answer updates the messages only while its run is active,
 * and only when the message ids differ. Events in, commands out, time passed in.
 */
export class WidgetMachine {
  /** The chat view is mounted (the `stage` dependency). */
  protected mounted = false;
  /** The `email` dependency. */
  protected email: string | null = null;
  /** The `currentChatId` dependency. */
  protected chat: string | null = null;
  /** The component's message list. */
  protected messages: LiveMessage[] = [];
  /** The current run of the polling effect (the one whose `isActive` is true). */
  protected run: EffectRun | undefined;
  private runCounter = 0;
  protected intervalCounter = 0;
  private requestCounter = 0;
  /** Intervals still scheduled, each calling the poll of the run that created it. */
  protected readonly intervals = new Map<number, EffectRun>();
  /** Polls in flight, by request number, with the run that started them. */
  protected readonly polls = new Map<number, EffectRun>();
  private readonly sends = new Map<number, EffectRun | undefined>();
  private cmds: WidgetCommand[] = [];
  private shown: WidgetSnapshot | undefined;

  constructor(protected readonly config: WidgetConfig) {}

  /** Feeds one event; returns the commands to carry out, in order. */
  handle(event: WidgetEvent): WidgetCommand[] {
    this.cmds = [];
    this.dispatch(event);
    this.reconcile();
    return this.cmds;
  }

  /** What the customer sees (cached until the next event). */
  snapshot(): WidgetSnapshot {
    this.shown ??= {
      role: 'widget',
      mounted: this.mounted,
      email: this.email,
      chatId: this.chat,
      messages: this.messages.map((m) => ({ id: m.id, role: m.role, content: m.content })),
    };
    return this.shown;
  }

  private dispatch(e: WidgetEvent): void {
    this.shown = undefined;
    switch (e.type) {
      case 'mount':
        if (e.email !== this.email || e.chat !== this.chat) {
          // New dependencies: the chat view starts empty until its first poll answers.
          this.email = e.email;
          this.chat = e.chat;
          this.messages = [];
        }
        this.mounted = true;
        return;
      case 'unmount':
        if (!this.mounted) return this.log('unmountWidget: the widget is not mounted');
        this.mounted = false;
        this.messages = [];
        return;
      case 'switch':
        if (!this.mounted) return this.log('switchChat: the widget is not mounted', { chat: e.chat });
        if (e.chat === this.chat) return;
        this.chat = e.chat;
        this.messages = [];
        return;
      case 'send': {
        if (!this.mounted || this.email === null || this.chat === null) return this.log('customerSend: the widget is not mounted');
        const request = ++this.requestCounter;
        this.sends.set(request, this.run);
        this.cmd({ type: 'post', request, email: this.email, chat: this.chat, content: e.text });
        return;
      }
      case 'tick':
        return this.onTick(e.interval);
      case 'poll-done':
        if (e.malformed) this.log('a poll answer could not be read; the next tick polls again', { status: e.status });
        return this.onPoll(e.request, e.chats, e.malformed === true);
      case 'send-done': {
        const run = this.sends.get(e.request);
        this.sends.delete(e.request);
        if (!e.message) return this.log('send failed', { status: e.status });
        // Shown at once only in the view it was sent from; polls bring it everywhere else.
        if (run && run === this.run && !this.messages.some((m) => m.id === e.message!.id)) this.messages = [...this.messages, e.message];
        return;
      }
    }
  }

  /** Interval `interval` fired: `setInterval(pollMessages, 2000)` polls for the run that created it. */
  protected onTick(interval: number): void {
    const run = this.intervals.get(interval);
    if (run) this.poll(run);
  }

  /** A poll answered (`malformed`: a 2xx whose body could not be read): the decision to update the messages (or not). */
  protected onPoll(request: number, chats: LiveChat[] | undefined, _malformed = false): void {
    const run = this.polls.get(request);
    this.polls.delete(request);
    if (!run || !this.isActive(run)) return;
    if (!chats) return;
    const server = chats.find((c) => c.chat_id === run.chat)?.messages ?? [];
    if (!this.changed(server)) return;
    this.messages = [...server];
    this.log(`📬 Messages updated - Count: ${server.length}`, { chat: run.chat });
  }

  /** The run's `isActive` flag: only the current run may set the messages; a stale answer is dropped. */
  protected isActive(run: EffectRun): boolean {
    return run === this.run;
  }

  /** Whether the server's list differs from the one shown: by message ids, so a replaced message counts (§ Fix 1, "Compare message IDs instead of just count"). */
  protected changed(server: readonly LiveMessage[]): boolean {
    return ids(server) !== ids(this.messages);
  }

  /** The effect-with-dependencies semantics: clean up the current run and run again when a dependency changed. */
  protected reconcile(): void {
    const want = this.mounted && this.email !== null && this.chat !== null;
    const cur = this.run;
    if (cur && want && cur.email === this.email && cur.chat === this.chat) return;
    if (!cur && !want) return;
    if (cur) {
      this.run = undefined; // isActive = false
      this.intervals.delete(cur.interval);
      this.cmd({ type: 'clear-interval', interval: cur.interval });
    }
    if (want) this.startRun();
  }

  /** Runs the polling effect for the current dependencies: one poll at once, then an interval. */
  protected startRun(): void {
    const run: EffectRun = { id: ++this.runCounter, email: this.email!, chat: this.chat!, interval: ++this.intervalCounter };
    this.run = run;
    this.poll(run); // pollMessages(): at once on mount
    this.intervals.set(run.interval, run);
    this.cmd({ type: 'set-interval', interval: run.interval, ms: this.config.pollInterval });
  }

  /** Starts one poll for `run` (`pollMessages()`). */
  protected poll(run: EffectRun): void {
    const request = ++this.requestCounter;
    this.polls.set(request, run);
    this.cmd({ type: 'get', request, email: run.email });
  }

  protected log(message: string, fields?: Record<string, unknown>): void {
    this.cmd({ type: 'log', message, fields });
  }

  protected cmd(c: WidgetCommand): void {
    this.cmds.push(c);
  }
}

function ids(list: readonly LiveMessage[]): string {
  return list.map((m) => m.id).join(',');
}

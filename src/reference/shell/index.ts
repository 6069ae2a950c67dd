/**
 * The I/O shell pieces every reference client shares: its state machine names timers and
 * numbers sockets; these carry the commands out on `env` and report back.
 * @module
 */
export { NamedTimers } from './named-timers.js';
export { SocketTable, type SocketEvents } from './socket-table.js';

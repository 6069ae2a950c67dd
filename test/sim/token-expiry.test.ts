import { describe, expect, it } from 'vitest';
import type { ProtocolDefinition } from '../../src/conformance/protocol.js';
import { resolveScenario, ScenarioError } from '../../src/conformance/scenario.js';
import { FaultPlanError } from '../../src/sim/faults/validate.js';
import type { CredentialExpiry, ServerFactory } from '../../src/sim/server-host.js';
import { Simulation } from '../../src/sim/simulation.js';
import { jsonResponse } from '../../src/sim/transport/http-types.js';
import type { ServerSocket } from '../../src/sim/transport/server-socket.js';

/**
 * A tiny protocol server that implements the `expireCredentials` hook: `POST /login`
 * issues a token stamped with the virtual time, `/me` needs a valid token (401
 * otherwise), `/ws?token=` sockets carrying an expired token are closed with 4001.
 */
function authServer(log: string[], builds = { n: 0 }): ServerFactory {
  return (env) => {
    builds.n++;
    const issued = new Map<string, { at: number; node: string }>();
    const expiries: CredentialExpiry[] = [];
    const sockets = new Map<ServerSocket, string>();
    const issuedAt = (token: string): number => issued.get(token)?.at ?? -1; // harness tokens: before the run
    const nodeOf = (token: string, fallback: string): string => issued.get(token)?.node ?? fallback;
    const expired = (token: string, node: string): boolean =>
      expiries.some((e) => issuedAt(token) < e.issuedBefore && (e.node === undefined || e.node === nodeOf(token, node)));
    let next = 0;
    return {
      http(req) {
        if (req.path === '/login') {
          const token = `t${++next}`;
          issued.set(token, { at: env.now(), node: req.node });
          return jsonResponse(200, { token });
        }
        const token = req.token ?? '';
        return expired(token, req.node) ? jsonResponse(401, { error: 'expired' }) : jsonResponse(200, { ok: true });
      },
      upgrade: () => undefined,
      connection(socket, req) {
        sockets.set(socket, req.token ?? '');
        socket.on('close', () => sockets.delete(socket));
      },
      expireCredentials(expiry) {
        log.push(
          `${env.now()} expire before ${expiry.issuedBefore} (${expiry.issuedBeforeTime}) node ${expiry.node ?? '*'} entry ${expiry.entry}`,
        );
        expiries.push(expiry);
        for (const [socket, token] of sockets) if (expired(token, socket.node)) socket.close(4001, 'token expired');
      },
    };
  };
}

describe('token-expiry', () => {
  it('tells the server through its hook; the server answers 401 and closes sockets with its own code', async () => {
    const log: string[] = [];
    const sim = new Simulation({ seed: 1, server: authServer(log), faults: [{ kind: 'token-expiry', at: 1000 }] });
    const env = sim.env('c1');
    const seen: string[] = [];
    let fresh = '';
    const ws = new env.WebSocket(`${env.wsBaseUrl}/ws?token=${env.token}`);
    ws.onclose = (e) => seen.push(`${sim.now} close ${e.code} ${e.reason}`);
    const get = (token: string, label: string) =>
      env
        .fetch(`${env.baseUrl}/me`, { headers: { authorization: `Bearer ${token}` } })
        .then((r) => seen.push(`${sim.now} ${label} ${r.status}`));
    sim.at(500, 'c1', 'before', () => void get(env.token, 'harness-token'));
    sim.at(1200, 'c1', 'login', () => {
      void env.fetch(`${env.baseUrl}/login`, { method: 'POST' }).then(async (r) => {
        fresh = ((await r.json()) as { token: string }).token;
      });
    });
    sim.at(1500, 'c1', 'after', () => {
      void get(env.token, 'harness-token');
      void get(fresh, 'fresh-token');
    });
    await sim.run(3000);
    expect(log).toEqual(['1000 expire before 1000 (1736931601000) node * entry 0']);
    // Closed by the server at 1000, the close frame arrives 20 ms later.
    expect(seen).toEqual(['540 harness-token 200', '1020 close 4001 token expired', '1540 harness-token 401', '1540 fresh-token 200']);
    expect(sim.trace.events().find((e) => e.ev === 'fault.start')).toMatchObject({ t: 1000, kind: 'token-expiry', entry: 0 });
  });

  it('passes issuedBefore and node through, and tells a server rebuilt without state again', async () => {
    const log: string[] = [];
    const builds = { n: 0 };
    const sim = new Simulation({
      seed: 1,
      clients: ['c1', 'c2'],
      server: authServer(log, builds),
      faults: [
        { kind: 'token-expiry', at: 2000, issuedBefore: 1500, node: 'c2' },
        { kind: 'server-restart', at: 3000, downtime: 500, state: 'lose' },
      ],
    });
    await sim.run(4000);
    expect(builds.n).toBe(2);
    expect(log).toEqual([
      '2000 expire before 1500 (1736931601500) node c2 entry 0',
      '3500 expire before 1500 (1736931601500) node c2 entry 0',
    ]);
  });

  it('rejects a plan with token-expiry when the server has no hook, naming the server', () => {
    const noHook: ServerFactory = () => ({ http: () => jsonResponse(200, {}) });
    const make = () =>
      new Simulation({
        seed: 1,
        server: noHook,
        faults: [
          { kind: 'ws-reset', at: 5 },
          { kind: 'token-expiry', at: 10 },
        ],
        faultsSource: 'plan.yaml',
        serverName: "toy's server",
      });
    expect(make).toThrow(FaultPlanError);
    expect(make).toThrow(
      `plan.yaml: entry 1, field "kind": expected a fault kind the server supports (toy's server does not support token-expiry: its application has no expireCredentials hook), found token-expiry`,
    );
    // Without a token-expiry entry the same server is fine.
    expect(() => new Simulation({ seed: 1, server: noHook, faults: [{ kind: 'ws-reset', at: 5 }] })).not.toThrow();
  });

  it('a scenario names the protocol whose server lacks the hook', () => {
    const toy = (factory: ServerFactory): ProtocolDefinition =>
      ({
        name: 'toy',
        defaults: { duration: 10_000, heal: 1000, clients: ['c1'] },
        serverVariants: {},
        server: () => factory,
        actions: {},
        requirements: [],
      }) as unknown as ProtocolDefinition;
    const scenario = { protocol: 'toy', faults: [{ kind: 'token-expiry', at: 100 }] };
    const plain = new Map([['toy', toy(() => ({}))]]);
    expect(() => resolveScenario(scenario, 's.yaml', plain)).toThrow(ScenarioError);
    expect(() => resolveScenario(scenario, 's.yaml', plain)).toThrow(
      `s.yaml: field "faults[0].kind": expected a fault kind the server supports (toy's server does not support token-expiry: its application has no expireCredentials hook), found token-expiry`,
    );
    const hooked = new Map([['toy', toy(authServer([]))]]);
    expect(resolveScenario(scenario, 's.yaml', hooked).faults).toEqual([{ kind: 'token-expiry', at: 100 }]);
  });

  it('validates issuedBefore', () => {
    const server = authServer([]);
    expect(() => new Simulation({ seed: 1, server, faults: [{ kind: 'token-expiry', at: 100, issuedBefore: 200 }] })).toThrow(
      'fault plan: entry 0, field "issuedBefore": expected a time no later than "at" (100), found the number 200',
    );
  });
});

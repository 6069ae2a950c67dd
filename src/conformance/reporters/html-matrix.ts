/** The verdict matrix of the HTML report (after the failures). */
import { outcomeWord } from '../check.js';
import type { HtmlFailure } from './html.js';
import { clientName, failureId, verdictLabel } from './html-words.js';
import { count, esc } from './html-text.js';
import type { JsonReport } from './json.js';

/** The verdict matrix: one table per protocol, a row per requirement, a column per client. */
export function renderMatrix(report: JsonReport, failures: readonly HtmlFailure[]): string {
  const byProtocol = new Map<string, number[]>();
  report.clients.forEach((c, i) => byProtocol.set(c.protocol, [...(byProtocol.get(c.protocol) ?? []), i]));
  const failureIndex = new Map(failures.map((f, i) => [`${f.client} ${f.requirement.id}`, i]));
  return [...byProtocol]
    .map(([protocol, idx]) => {
      const clients = idx.map((i) => report.clients[i]!);
      // Client requirements first; server requirements apart, under their own heading.
      const all = clients[0]!.requirements;
      const reqs = [...all.filter((q) => q.subject !== 'server'), ...all.filter((q) => q.subject === 'server')];
      const firstServer = reqs.findIndex((q) => q.subject === 'server');
      const rows = reqs.map((r, ri) => {
        const verdicts = clients.map((c) => c.requirements.find((x) => x.id === r.id)?.verdict ?? 'not-exercised');
        const cells = idx.map((ci, k) => {
          const q = report.clients[ci]!.requirements.find((x) => x.id === r.id);
          if (!q) return '<td>—</td>';
          const fi = failureIndex.get(`${ci} ${r.id}`);
          const inconclusive = report.clients[ci]!.inconclusive.includes(r.id);
          const badge = `<span class="badge v-${esc(q.verdict)}${inconclusive ? ' inconclusive' : ''}">${esc(verdictLabel[q.verdict])}</span>`;
          const link = fi === undefined ? badge : `<a class="to-failure" href="#${failureId(fi)}">${badge} details</a>`;
          const never = q.exercised === 0 && q.notExercisedBecause !== undefined ? `<div class="never">${inconclusive ? 'inconclusive: ' : ''}${esc(q.notExercisedBecause)}</div>` : '';
          return `<td class="cell" data-verdict="${esc(verdicts[k])}">${link}<div class="counts">${count(q.exercised, 'run')} exercised it: ${q.passed} passed, ${q.failed} failed; ${q.notExercised} did not</div>${never}</td>`;
        });
        const server = r.subject === 'server';
        const heading =
          ri === firstServer
            ? `<tr class="server-heading"><th colspan="${clients.length + 1}">Server requirements — the server's behaviour, shown for information; never counted toward a client's verdict</th></tr>`
            : '';
        return `${heading}<tr data-protocol="${esc(protocol)}" data-requirement="${esc(r.id)}" data-verdicts="${esc(verdicts.join(' '))}" data-search="${esc(`${r.id} ${r.text} ${r.source}`.toLowerCase())}"${server ? ' data-subject="server"' : ''}><th scope="row"><span class="req-id">${esc(r.id)}</span> <span class="lvl">${esc(r.level)}</span>${server ? ' <span class="subject-server">server</span>' : ''}<div class="req-text">${esc(r.text)}</div><div class="source">${esc(r.source)}</div></th>${cells.join('')}</tr>`;
      });
      const problems = clients.flatMap((c) => [
        ...c.scenarios.flatMap((s) => [
          ...(s.stopped ? [`${clientName(c)}: scenario ${s.name} stopped: ${s.stopped}`] : []),
          ...(s.error ? [`${clientName(c)}: scenario ${s.name}: ${s.error}`] : []),
          ...(s.invalidSnapshot !== undefined ? [`${clientName(c)}: scenario ${s.name}: invalid snapshot: ${s.invalidSnapshot}`] : []),
          ...(s.clientError !== undefined ? [`${clientName(c)}: scenario ${s.name}: client error: ${s.clientError}`] : []),
          ...(s.clientWarning !== undefined ? [`${clientName(c)}: scenario ${s.name}: client error (warning only): ${s.clientWarning}`] : []),
        ]),
        ...c.inconclusive.map((id) => {
          const q = c.requirements.find((x) => x.id === id);
          return `${clientName(c)}: inconclusive: ${id} was never exercised: ${q?.notExercisedBecause ?? 'no run reached the situation it is about'}`;
        }),
      ]);
      const notes = clients.flatMap((c) =>
        c.scenarios.flatMap((s) => s.mismatches.map((m) => `${clientName(c)}: scenario ${s.name}: ${m.requirement} (server) expected ${m.expected}, got ${m.got}`)),
      );
      const head = clients
        .map(
          (c) =>
            `<th scope="col">${esc(clientName(c))}<div class="sub outcome-${esc(outcomeWord(c.exitCode).toLowerCase())}">${esc(outcomeWord(c.exitCode))} · exit ${c.exitCode} · ${count(c.runs.length, 'run')} (${c.property ? `${c.property.runs} property runs, ` : ''}${count(c.scenarios.length, 'scenario')})</div></th>`,
        )
        .join('');
      return `<section class="protocol" data-protocol="${esc(protocol)}"><h2>${esc(protocol)}</h2>
<table class="matrix"><thead><tr><th scope="col">requirement</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>
${problems.length ? `<ul class="problems">${problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : ''}${notes.length ? `<ul class="notes">${notes.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : ''}</section>`;
    })
    .join('\n');
}


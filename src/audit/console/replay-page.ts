import { formatIssue, type PolicyIssue } from '../../errors.ts';
import { escapeHtml as e } from '../../http/html.ts';
import type { ChangeGroup, ReplayReport, UndecidableGroup } from '../replay.ts';
import type { Period } from '../stats.ts';
import { consolePage, periodFieldset } from './layout.ts';
import { CONSOLE_PATH } from './session.ts';

/** What the replay page shows: the form as sent, and a report or what stopped it. */
export interface ReplayPageInput {
  candidate: string;
  period?: Period;
  /** Raw from/to as typed, when they could not be read. */
  rawPeriod?: { from: string; to: string };
  report?: ReplayReport;
  /** The candidate's problems, each with its line and column. */
  issues?: PolicyIssue[];
  error?: string;
  signedIn: string;
}

/**
 * The policy replay page: a candidate policy (pre-filled with the one in force) and a period; after a
 * POST, what the candidate would have changed over the ledger's recorded verifications (`replayPolicy`,
 * the same code as `stepup policy replay`), with example txns linked to their evidence.
 */
export function replayPage(input: ReplayPageInput): string {
  const time = (d: Date | undefined) => (d ? d.toISOString().slice(0, 19) : '');
  // As typed when unreadable; a datetime-local field shows neither a zone nor milliseconds.
  const shown = (raw: string | undefined, d: Date | undefined) => (raw !== undefined ? raw.replace(/(\.\d+)?Z$/, '') : time(d));
  const from = shown(input.rawPeriod?.from, input.period?.from);
  const to = shown(input.rawPeriod?.to, input.period?.to);
  return consolePage(
    'Policy replay',
    `<h1>Policy replay</h1>
<p>Re-decides every verification started in the period under a candidate policy, from what the ledger recorded
(vendor, scores, subject check, attempts, times), with the IdP's own decision code. Nothing is changed.</p>
<form method="post" action="${CONSOLE_PATH}/replay">
<label for="r-candidate">Candidate policy (YAML)</label>
<textarea id="r-candidate" name="candidate" rows="18" spellcheck="false" required>${e(input.candidate)}</textarea>
${periodFieldset('r', 'Verifications started in', from, to)}
<p class="actions"><button type="submit" id="run-replay">Replay</button></p>
</form>
${input.error ? `<p class="error" role="alert" id="replay-error">${e(input.error)}</p>` : ''}
${input.issues ? issueList(input.issues) : ''}
${input.report ? reportSection(input.report) : ''}`,
    { signedIn: input.signedIn },
  );
}

function issueList(issues: PolicyIssue[]): string {
  const items = issues.map((i) => `<li><code>${e(formatIssue(i))}</code></li>`);
  return `<div class="error" role="alert" id="replay-issues"><p>The candidate is not a valid policy:</p><ul>${items.join('')}</ul></div>`;
}

function reportSection(r: ReplayReport): string {
  const total = (groups: Array<{ count: number }>) => groups.reduce((n, g) => n + g.count, 0);
  const summary = [
    ['verifications decided in the period', r.verifications],
    ['unchanged', r.unchanged],
    ['grants that would become denials', total(r.grantsToDenials)],
    ['denials that would become grants', total(r.denialsToGrants)],
    ['undecidable from the recorded facts', total(r.undecidable)],
    ['without a recorded decision', r.unconcluded],
    ['ledger events read', r.eventsRead],
  ] as const;
  return `<section id="replay-report" aria-labelledby="replay-report-title">
<h2 id="replay-report-title">What the candidate would change</h2>
<p>Candidate sha256 <code>${e(r.candidate)}</code>; verifications started ${e(r.window.from)} – ${e(r.window.to)}.</p>
<table id="replay-summary"><tbody>${summary.map(([label, n]) => `<tr><th scope="row">${e(label)}</th><td>${n}</td></tr>`).join('')}</tbody></table>
${changeTable('grants-to-denials', 'Grants that would become denials', 'candidate reason', r.grantsToDenials)}
${changeTable('denials-to-grants', 'Denials that would become grants', 'recorded reason', r.denialsToGrants)}
${undecidableTable(r.undecidable)}
</section>`;
}

function changeTable(id: string, title: string, reasonHeading: string, groups: ChangeGroup[]): string {
  if (groups.length === 0) return `<h3>${e(title)}</h3><p id="${id}-none">None.</p>`;
  const rows = groups.map(
    (g) => `<tr><td>${e(g.acr)}</td><td>${e(g.vendor)}</td><td>${e(g.reason)}</td><td>${g.count}</td><td>${examples(g.examples)}</td></tr>`,
  );
  return `<h3>${e(title)}</h3>
<div class="scroll" tabindex="0" role="region" aria-label="${e(title)}"><table id="${id}"><thead><tr><th scope="col">level</th><th scope="col">vendor</th><th scope="col">${e(reasonHeading)}</th><th scope="col">count</th><th scope="col">examples</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>`;
}

function undecidableTable(groups: UndecidableGroup[]): string {
  const title = 'Undecidable from the recorded facts';
  if (groups.length === 0) return `<h3>${title}</h3><p id="undecidable-none">None.</p>`;
  const rows = groups.map((g) => `<tr><td>${e(g.cause)}</td><td>${g.count}</td><td>${examples(g.examples)}</td></tr>`);
  return `<h3>${title}</h3>
<div class="scroll" tabindex="0" role="region" aria-label="${title}"><table id="undecidable"><thead><tr><th scope="col">cause</th><th scope="col">count</th><th scope="col">examples</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>`;
}

const examples = (txns: string[]) =>
  txns.map((t) => `<a href="${CONSOLE_PATH}/verifications/${encodeURIComponent(t)}"><code>${e(t)}</code></a>`).join(' ');

import { escapeHtml as e } from '../../http/html.ts';
import type { LedgerEvent } from '../../ledger/chain.ts';
import { consolePage } from './layout.ts';
import { CONSOLE_PATH } from './session.ts';

/** The filter fields of the events form, in order, with their labels (the audit API's parameters). */
const FIELDS = [
  ['account', 'Account'],
  ['txn', 'Verification (txn)'],
  ['type', 'Event type'],
  ['vendor', 'Vendor'],
  ['acr', 'Level (acr)'],
  ['client', 'Client'],
] as const;

const LOCAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?$/;

/**
 * The console's query string as audit filters: empty fields dropped, and `from`/`to` from the form's
 * `datetime-local` inputs (no zone) read as UTC. Everything else is passed on for parseEventQuery to judge.
 */
export function formQuery(query: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    if (value === '' || value === undefined) continue;
    out[key] =
      (key === 'from' || key === 'to') && typeof value === 'string' && LOCAL_TIME.test(value)
        ? `${value.length === 16 ? `${value}:00` : value}Z`
        : value;
  }
  return out;
}

/** The same filters as a query string (for paging and export links). */
export function queryString(query: Record<string, unknown>, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...query, ...extra })) if (typeof value === 'string') params.set(key, value);
  return params.toString();
}

/** The events page: the filter form, export buttons, a table of one page of events and the next-page link. */
export function eventsPage(input: {
  query: Record<string, unknown>;
  events?: LedgerEvent[];
  nextCursor?: number;
  error?: string;
  signedIn: string;
}): string {
  const q = input.query;
  const value = (key: string) => (typeof q[key] === 'string' ? (q[key] as string) : '');
  const timeValue = (key: string) => value(key).replace(/Z$/, '').slice(0, 19);
  const filters = Object.fromEntries(Object.entries(q).filter(([key]) => key !== 'cursor'));
  const fields = FIELDS.map(
    ([name, label]) =>
      `<label for="f-${name}">${e(label)}</label><input type="text" id="f-${name}" name="${name}" value="${e(value(name))}">`,
  ).join('\n');
  const decision = value('decision');
  const table = input.events
    ? input.events.length === 0
      ? `<p id="no-events">No event matches these filters.</p>`
      : `<div class="scroll" tabindex="0" role="region" aria-label="Events">
<table id="events">
<caption class="muted">${input.events.length} event${input.events.length === 1 ? '' : 's'} from seq ${input.events[0]!.seq}</caption>
<thead><tr><th scope="col">seq</th><th scope="col">at (UTC)</th><th scope="col">type</th><th scope="col">txn</th><th scope="col">account</th><th scope="col">client</th><th scope="col">vendor</th><th scope="col">data</th></tr></thead>
<tbody>
${input.events.map(row).join('\n')}
</tbody></table></div>`
    : '';
  const next =
    input.nextCursor !== undefined
      ? `<p><a class="button secondary" id="next-page" rel="next" href="${CONSOLE_PATH}/events?${e(queryString(filters, { cursor: String(input.nextCursor) }))}">Next page</a></p>`
      : '';
  return consolePage(
    'Events',
    `<h1>Ledger events</h1>
<form method="get" action="${CONSOLE_PATH}/events" role="search">
<fieldset><legend>Filters</legend>
${fields}
<label for="f-decision">Decision</label><select id="f-decision" name="decision">
<option value=""${decision === '' ? ' selected' : ''}>any</option>
<option value="granted"${decision === 'granted' ? ' selected' : ''}>granted</option>
<option value="denied"${decision === 'denied' ? ' selected' : ''}>denied</option></select>
<label for="f-from">From (UTC)</label><input type="datetime-local" step="1" id="f-from" name="from" value="${e(timeValue('from'))}">
<label for="f-to">To (UTC, exclusive)</label><input type="datetime-local" step="1" id="f-to" name="to" value="${e(timeValue('to'))}">
<label for="f-limit">Per page</label><input type="number" min="1" max="1000" id="f-limit" name="limit" value="${e(value('limit'))}" placeholder="100">
</fieldset>
<p class="actions"><button type="submit" id="apply">Apply filters</button>
<a class="button secondary" id="export-csv" download href="${CONSOLE_PATH}/events/export?${e(queryString(exportFilters(filters), { format: 'csv' }))}">Export CSV</a>
<a class="button secondary" id="export-jsonl" download href="${CONSOLE_PATH}/events/export?${e(queryString(exportFilters(filters), { format: 'jsonl' }))}">Export JSON Lines</a></p>
</form>
${input.error ? `<p class="error" role="alert" id="query-error">${e(input.error)}</p>` : ''}
${table}
${next}`,
    { signedIn: input.signedIn },
  );
}

// An export covers every matching event: paging parameters do not apply to it.
function exportFilters(filters: Record<string, unknown>): Record<string, unknown> {
  const { limit: _limit, ...rest } = filters;
  return rest;
}

function row(ev: LedgerEvent): string {
  const txn = ev.verificationId
    ? `<a href="${CONSOLE_PATH}/verifications/${encodeURIComponent(ev.verificationId)}"><code>${e(ev.verificationId)}</code></a>`
    : '';
  return `<tr><td>${ev.seq}</td><td>${e(ev.at.toISOString())}</td><td>${e(ev.type)}</td><td>${txn}</td><td>${e(ev.accountId ?? '')}</td><td>${e(ev.clientId ?? '')}</td><td>${e(ev.vendor ?? '')}</td><td><code>${e(summary(ev.data))}</code></td></tr>`;
}

// The table shows the start of the data; the evidence page and the exports have all of it.
function summary(data: Record<string, unknown>): string {
  const text = JSON.stringify(data);
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

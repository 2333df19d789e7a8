import type { LedgerEvent } from './chain.ts';

/** The export formats: CSV for spreadsheets, JSON Lines for tools. */
export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** MIME type of each format. */
export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/jsonl; charset=utf-8',
};

const CSV_COLUMNS = ['seq', 'at', 'type', 'verification_id', 'account_id', 'client_id', 'acr', 'vendor', 'data', 'prev_hash', 'hash'];

/**
 * The export of `pages` as text chunks, one per page, so a consumer that writes them with backpressure
 * (an HTTP response, a file) holds one page in memory at a time. `onPage` reports progress.
 */
export async function* exportChunks(
  pages: AsyncIterable<LedgerEvent[]>,
  format: ExportFormat,
  onPage?: (events: number) => void,
): AsyncGenerator<string> {
  if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
  for await (const events of pages) {
    yield events.map(format === 'csv' ? csvRow : jsonLine).join('');
    onPage?.(events.length);
  }
}

/** One event as a JSON Lines record (the same object the audit API returns). */
function jsonLine(e: LedgerEvent): string {
  return `${JSON.stringify(e)}\n`;
}

// RFC 4180 rows. Cells a spreadsheet would run as a formula get a leading apostrophe (OWASP CSV injection):
// client ids, vendor statuses and reasons come from outside.
function csvRow(e: LedgerEvent): string {
  const cells = [
    e.seq,
    e.at.toISOString(),
    e.type,
    e.verificationId,
    e.accountId,
    e.clientId,
    e.acr,
    e.vendor,
    JSON.stringify(e.data),
    e.prevHash,
    e.hash,
  ];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

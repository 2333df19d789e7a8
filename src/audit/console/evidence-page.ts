import { escapeHtml as e } from '../../http/html.ts';
import { consolePage } from './layout.ts';
import { CONSOLE_PATH } from './session.ts';

/**
 * The evidence page of one verification. The server sends only its frame: the page's script
 * (assets/evidence.js) fetches the evidence and the ledger keys, checks every hash, the links up to the
 * checkpoint and the checkpoint's signature with WebCrypto, and shows what it verified, so the verdict
 * does not rest on this server's word.
 */
export function evidencePage(txn: string, signedIn: string): string {
  return consolePage(
    `Evidence ${txn}`,
    `<h1>Evidence of verification <code>${e(txn)}</code></h1>
<div id="evidence" data-evidence="${CONSOLE_PATH}/verifications/${e(encodeURIComponent(txn))}/evidence.json" data-jwks="/audit/jwks.json" data-txn="${e(txn)}">
<p id="verdict" role="status" aria-live="polite" data-verified="pending">Verifying in your browser…</p>
<noscript><p class="error">The evidence is verified by this page's script: enable JavaScript, or use <code>stepup ledger verify</code>.</p></noscript>
<ul id="problems" class="error" hidden></ul>
<h2>Chain proof</h2>
<dl id="proof"></dl>
<h2>Events</h2>
<div class="scroll" tabindex="0" role="region" aria-label="Events of the verification"><table id="evidence-events"><thead><tr><th scope="col">seq</th><th scope="col">at (UTC)</th><th scope="col">type</th><th scope="col">hash</th><th scope="col">check</th><th scope="col">data</th></tr></thead><tbody></tbody></table></div>
</div>`,
    { scripts: ['evidence.js'], signedIn },
  );
}

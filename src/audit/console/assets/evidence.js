// The audit console's evidence check, run in the auditor's browser with WebCrypto: it trusts nothing the
// server says about the result. For each event: sha256hex(prevHash + "\n" + body) must be its hash; from
// the first event to the checkpoint, each stored row must hash the same way and name the previous row's
// hash; the last must be the checkpoint's hash; and the checkpoint's JWS (ES256) must verify with a key of
// /audit/jwks.json and sign exactly that seq and hash. Everything shown is read from the hashed bodies.
'use strict';

const CHECKPOINT_TYP = 'stepup-ledger-checkpoint+jws';
const root = document.getElementById('evidence');
const verdict = document.getElementById('verdict');
const problemList = document.getElementById('problems');

async function sha256hex(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function base64url(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function term(list, name, value) {
  const dt = document.createElement('dt');
  dt.textContent = name;
  const dd = document.createElement('dd');
  dd.textContent = value;
  list.append(dt, dd);
}

// Each event's own hash; what the table shows is read from the body that hash covers.
async function checkEvents(evidence, problems) {
  const tbody = document.querySelector('#evidence-events tbody');
  for (const event of evidence.events) {
    const computed = await sha256hex(`${event.prevHash}\n${event.body}`);
    let body;
    try {
      body = JSON.parse(event.body);
    } catch {
      body = {};
    }
    const ok = computed === event.hash && body.seq === event.seq && body.verificationId === evidence.txn;
    if (computed !== event.hash)
      problems.push(`event ${event.seq}: its body hashes to ${computed}, not to the hash it carries (${event.hash})`);
    else if (body.seq !== event.seq || body.verificationId !== evidence.txn)
      problems.push(`event ${event.seq}: its body names seq ${body.seq} and txn ${body.verificationId}`);
    const row = tbody.insertRow();
    cell(row, String(event.seq));
    cell(row, String(body.at ?? ''));
    cell(row, String(body.type ?? ''));
    cell(row, event.hash).className = 'hash';
    cell(row, ok ? 'hash ✓' : 'hash ✗', ok ? '' : 'error');
    cell(row, JSON.stringify(body.data ?? null));
  }
}

// The rows from the first event to the checkpoint: consecutive, each hashing to its successor's prevHash.
async function checkLinks(evidence, problems) {
  const { links, checkpoint } = evidence.proof;
  if (links.rows === null) {
    problems.push(
      `the chain from event ${links.from} to checkpoint ${links.to} has ${links.omitted} rows, more than the ${links.max} this page checks: the server's check below covers them, and stepup ledger verify --from ${links.from} --jwks jwks.json checks them on your machine`,
    );
    return false;
  }
  const bySeq = new Map(links.rows.map((r) => [r.seq, r]));
  for (const event of evidence.events) {
    const row = bySeq.get(event.seq);
    if (!row || row.hash !== event.hash || row.body !== event.body)
      problems.push(`event ${event.seq} is not the row the chain proof has at that seq`);
  }
  let previous;
  for (const row of links.rows) {
    if (previous && row.seq !== previous.seq + 1)
      return (problems.push(`the chain proof skips from seq ${previous.seq} to ${row.seq}`), false);
    if (previous && row.prevHash !== previous.hash)
      return (problems.push(`row ${row.seq} does not name row ${previous.seq}'s hash`), false);
    let seq;
    try {
      seq = JSON.parse(row.body).seq;
    } catch {
      seq = undefined;
    }
    if (seq !== row.seq) return (problems.push(`row ${row.seq}: its body names seq ${seq}`), false);
    if ((await sha256hex(`${row.prevHash}\n${row.body}`)) !== row.hash)
      return (problems.push(`row ${row.seq}: its body does not hash to its hash`), false);
    previous = row;
  }
  if (links.rows[0]?.seq !== evidence.events[0]?.seq) problems.push('the chain proof does not start at the first event');
  if (!previous || previous.seq !== checkpoint.seq || previous.hash !== checkpoint.hash) {
    problems.push(`the chain proof does not end at checkpoint ${checkpoint.seq}'s hash`);
    return false;
  }
  return true;
}

// The checkpoint's compact JWS, verified with the ledger key it names (ECDSA P-256, SHA-256).
async function checkCheckpoint(checkpoint, jwks, problems) {
  const parts = String(checkpoint.jws).split('.');
  if (parts.length !== 3) return (problems.push('the checkpoint is not a compact JWS'), false);
  let header;
  let payload;
  try {
    header = JSON.parse(new TextDecoder().decode(base64url(parts[0])));
    payload = JSON.parse(new TextDecoder().decode(base64url(parts[1])));
  } catch {
    return (problems.push('the checkpoint JWS cannot be read'), false);
  }
  if (header.alg !== 'ES256' || header.typ !== CHECKPOINT_TYP || header.kid !== checkpoint.kid)
    return (problems.push(`the checkpoint's JWS header is unexpected (${JSON.stringify(header)})`), false);
  const jwk = (jwks.keys ?? []).find((k) => k.kid === header.kid);
  if (!jwk) return (problems.push(`the checkpoint is signed with key ${header.kid}, which /audit/jwks.json does not publish`), false);
  const key = await crypto.subtle.importKey(
    'jwk',
    { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['verify'],
  );
  const signed = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
  const valid = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, base64url(parts[2]), signed);
  if (!valid) return (problems.push(`checkpoint ${checkpoint.seq}: the signature does not verify with key ${header.kid}`), false);
  if (payload.seq !== checkpoint.seq || payload.hash !== checkpoint.hash)
    return (
      problems.push(`checkpoint ${checkpoint.seq}: the signed seq and hash (${payload.seq}, ${payload.hash}) are not the ones shown`),
      false
    );
  return true;
}

function show(verified, message, problems) {
  verdict.dataset.verified = verified ? 'true' : 'false';
  verdict.className = verified ? 'ok' : 'error';
  verdict.textContent = message;
  problemList.replaceChildren(
    ...problems.map((p) => {
      const li = document.createElement('li');
      li.textContent = p;
      return li;
    }),
  );
  problemList.hidden = problems.length === 0;
}

async function main() {
  const [evidenceResponse, jwksResponse] = await Promise.all([
    fetch(root.dataset.evidence, { credentials: 'same-origin', headers: { accept: 'application/json' } }),
    fetch(root.dataset.jwks, { headers: { accept: 'application/json' } }),
  ]);
  if (!evidenceResponse.ok) return show(false, `Not verified: the evidence could not be loaded (HTTP ${evidenceResponse.status}).`, []);
  if (!jwksResponse.ok) return show(false, `Not verified: the ledger keys could not be loaded (HTTP ${jwksResponse.status}).`, []);
  const evidence = await evidenceResponse.json();
  const jwks = await jwksResponse.json();
  const problems = [];
  if (evidence.txn !== root.dataset.txn) problems.push(`the evidence is about txn ${evidence.txn}, not ${root.dataset.txn}`);
  await checkEvents(evidence, problems);
  const proof = document.getElementById('proof');
  const { checkpoint } = evidence.proof;
  term(proof, 'Events', String(evidence.events.length));
  if (!checkpoint) {
    problems.push('no signed checkpoint covers this verification yet: the IdP signs one every minute while events are written');
    return show(false, 'Not verified yet: no checkpoint covers these events.', problems);
  }
  term(proof, 'Checkpoint', `seq ${checkpoint.seq}, signed ${checkpoint.createdAt} with key ${checkpoint.kid}`);
  term(proof, 'Checkpoint hash', checkpoint.hash);
  const linked = await checkLinks(evidence, problems);
  if (evidence.proof.links.rows)
    term(
      proof,
      'Chain checked',
      `rows ${evidence.proof.links.from} to ${evidence.proof.links.to} (${evidence.proof.links.rows.length} rows)`,
    );
  const signed = await checkCheckpoint(checkpoint, jwks, problems);
  term(proof, "The server's own check", evidence.proof.segment.verified ? 'verified' : `failed: ${evidence.proof.segment.message}`);
  if (problems.length === 0 && linked && signed) {
    show(
      true,
      `Verified: ${evidence.events.length} events are in the chain that checkpoint ${checkpoint.seq} signs, checked in your browser.`,
      [],
    );
  } else {
    show(false, `Not verified: ${problems.length} problem${problems.length === 1 ? '' : 's'} found.`, problems);
  }
}

main().catch((error) => show(false, `Not verified: ${error && error.message ? error.message : String(error)}`, []));

import { statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { formatIssue, PolicyError, type PolicyIssue } from '../errors.ts';
import { canonicalJson } from '../ledger/canonical.ts';
import { appendEvent } from '../ledger/ledger.ts';
import type { Policy } from './policy.ts';

/** What started a load. */
export type PolicyTrigger = 'boot' | 'file' | 'signal';

/** What a reload did. */
export type ReloadOutcome =
  { status: 'loaded'; hash: string } | { status: 'unchanged'; hash: string } | { status: 'refused'; errors: PolicyIssue[] };

/** What the reloader needs. */
export interface PolicyReloadOptions {
  /** The file to watch; without one the policy is fixed and `reload()` reads `load()` again on demand only. */
  file?: string;
  /** Reads and validates the policy; throws PolicyError when it is invalid. */
  load: () => Policy;
  /** Where `policy.loaded` events go. */
  knex: Knex;
  logger: Logger;
  /** Quiet time after the last file event before reloading (editors write in several steps). */
  debounceMs?: number;
  /** Superseded policies kept for the verifications they started. */
  keep?: number;
}

/**
 * The policy in force, replaced atomically when the file changes (or on `reload()`, which SIGHUP calls).
 * An invalid file is refused and logged, and the running policy stays. Every policy put in force is
 * first recorded in the ledger (`policy.loaded` with its hash and source), so each decision's policy
 * hash can be traced to the rules that made it. Superseded policies stay reachable by hash for the
 * verifications they started.
 */
export class PolicyReloader {
  readonly #options: PolicyReloadOptions;
  #current: Policy;
  readonly #previous = new Map<string, Policy>();
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  /** The file's identity (inode, size, mtime) when it was last read for a file event. */
  #lastSeen: string | undefined;

  private constructor(options: PolicyReloadOptions, initial: Policy) {
    this.#options = options;
    this.#current = initial;
  }

  /** Loads the policy (throwing PolicyError when it is invalid), records it and starts watching the file. */
  static async start(options: PolicyReloadOptions): Promise<PolicyReloader> {
    const initial = options.load();
    await record(options.knex, initial, 'boot');
    logLoaded(options.logger, initial, 'boot');
    const reloader = new PolicyReloader(options, initial);
    reloader.#watch();
    return reloader;
  }

  /** The policy in force, or the one with `hash` while it is still kept (an in-flight verification's). */
  policy(hash?: string): Policy {
    if (hash === undefined || hash === this.#current.hash) return this.#current;
    return this.#previous.get(hash) ?? this.#current;
  }

  /** Reads the file again and puts it in force when it is valid and different. Reloads run one at a time. */
  reload(trigger: Exclude<PolicyTrigger, 'boot'>): Promise<ReloadOutcome> {
    const run = this.#queue.then(() => this.#reload(trigger));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Stops watching the file. */
  close(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  async #reload(trigger: Exclude<PolicyTrigger, 'boot'>): Promise<ReloadOutcome> {
    const { logger } = this.#options;
    // A file event for a file not written since it was last read (several events of one save, a touch of
    // the directory) changes nothing; SIGHUP always reads, as rotated ${file:} secrets need.
    const seen = this.#options.file === undefined ? undefined : fileIdentity(this.#options.file);
    if (trigger === 'file' && seen !== undefined && seen === this.#lastSeen) return { status: 'unchanged', hash: this.#current.hash };
    this.#lastSeen = seen;
    let next: Policy;
    try {
      next = this.#options.load();
    } catch (error) {
      const errors = error instanceof PolicyError ? error.issues : [{ path: '', message: (error as Error).message }];
      logger.error(
        { file: this.#options.file, trigger, errors: errors.map(formatIssue) },
        'policy refused: the running policy stays in force',
      );
      return { status: 'refused', errors };
    }
    const current = this.#current;
    // Same rules and same resolved vendor settings (a rotated ${file:} secret is a change).
    if (next.hash === current.hash && canonicalJson(next.vendors) === canonicalJson(current.vendors)) {
      logger.debug({ hash: next.hash, trigger }, 'policy unchanged');
      return { status: 'unchanged', hash: next.hash };
    }
    try {
      await record(this.#options.knex, next, trigger);
    } catch (error) {
      logger.error({ err: error, hash: next.hash }, 'policy not recorded in the ledger: the running policy stays in force');
      return { status: 'refused', errors: [{ path: '', message: `cannot record the policy in the ledger: ${(error as Error).message}` }] };
    }
    // The superseded policy stays reachable for the verifications it started; the oldest are forgotten first.
    this.#previous.delete(current.hash);
    this.#previous.set(current.hash, current);
    this.#previous.delete(next.hash);
    for (const hash of this.#previous.keys()) if (this.#previous.size > (this.#options.keep ?? 16)) this.#previous.delete(hash);
    this.#current = next;
    logLoaded(logger, next, trigger);
    return { status: 'loaded', hash: next.hash };
  }

  // The directory is watched, not the file: editors save by writing a new file and renaming it over the
  // old one, and Kubernetes swaps a ConfigMap's `..data` symlink, neither of which a watch on the file
  // itself survives. Other entries of the directory (a database beside the policy) are ignored.
  #watch(): void {
    const { file, logger, debounceMs = 200 } = this.#options;
    if (file === undefined) return;
    const name = path.basename(file);
    try {
      this.#watcher = watch(path.dirname(path.resolve(file)), (_event, changed) => {
        if (changed !== null && changed !== name && !changed.startsWith('..')) return;
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => void this.reload('file'), debounceMs);
      });
      this.#watcher.on('error', (error) => logger.warn({ err: error, file }, 'policy file watch failed; reload with SIGHUP'));
    } catch (error) {
      logger.warn({ err: error, file }, 'cannot watch the policy file; reload with SIGHUP');
    }
  }
}

function fileIdentity(file: string): string | undefined {
  try {
    const { ino, size, mtimeMs } = statSync(file);
    return `${ino}:${size}:${mtimeMs}`;
  } catch {
    return undefined;
  }
}

function record(knex: Knex, policy: Policy, trigger: PolicyTrigger) {
  return appendEvent(knex, {
    type: 'policy.loaded',
    data: { hash: policy.hash, file: policy.file, trigger, source: policy.source, warnings: policy.warnings.map(formatIssue) },
  });
}

function logLoaded(logger: Logger, policy: Policy, trigger: PolicyTrigger): void {
  logger.info({ file: policy.file, hash: policy.hash, trigger, levels: policy.levels.map((l) => l.acr) }, 'policy loaded');
  if (policy.warnings.length > 0) logger.warn({ file: policy.file, warnings: policy.warnings.map(formatIssue) }, 'policy warnings');
}

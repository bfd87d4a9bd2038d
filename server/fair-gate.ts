// The gate in front of DuckDB: at most `max` catalogue queries at once, the rest waiting in bounded, fair queues.
// On 2 cores ten heavy GROUP BYs at once take ten times one (STACK.md), so extra concurrency buys nothing but memory.
//
// Work waits per owner (a session, or the app's pool), and the owners take turns: one socket with hundreds of
// questions waiting delays another's single question by about one query per other busy owner, not by its whole
// queue. Bounds, checked when a question is admitted: an owner may have `perOwner` questions open (admitted, not
// yet answered; a tab is one, however many panels it has), and no new question is admitted while `maxQueue` queries
// wait; past either the newest is refused (`overloaded`).
// Background owners (pushes) are never refused and wait behind interactive work, but are served at least every
// BACKGROUND_EVERY-th turn, so a flood of questions cannot starve pushes. Idle owners (warmup, the hot refresh) are
// never refused either and run only when no one else can: interactive requests are always ahead of them, and what
// they do not get to is computed when asked.
import { SessionClosedError } from './errors.ts';

export interface GateOwner {
  /** A closed owner's waiting work is dropped (each task refused with SessionClosedError). */
  readonly closed?: boolean;
  /** App work no client asked for: never refused, served after interactive work but never starved. */
  readonly background?: boolean;
  /**
   * Background work that may wait for ever (the hot refresh, warmup: what it skips is computed when asked): served only
   * when no other owner can start anything.
   */
  readonly idle?: boolean;
  /** Queries it can run at once (its connections); default 1. More would only wait on its connection. */
  readonly width?: number;
}

/** A queued or running task; owners asking the same question later join it and it runs at the first one's turn. */
export interface Ticket<O extends GateOwner, T> {
  readonly promise: Promise<T>;
  join(owners: readonly O[]): void;
}

/** Interactive turns a waiting background owner lets pass before it is served anyway. */
export const BACKGROUND_EVERY = 4;

interface Job {
  owners: Set<GateOwner>;
  run: (owner: GateOwner) => void;
  fail: (err: unknown) => void;
  /** Counted against maxQueue (asked by no background owner when it queued). */
  counted: boolean;
  /** The question it is part of (a tab's panels share one), so a question once started is finished first. */
  question?: object;
  started: boolean;
}

interface OwnerState {
  waiting: Job[];
  running: number;
  open: number;
  /** The question its last started job belonged to: its other waiting parts go before anyone's new question. */
  started?: object;
}

/**
 * Owners with work waiting, in turn order: owners not yet served since they had work come first (a socket with one
 * question is not put behind those that have been served already), then the others round-robin.
 */
class Turns {
  private readonly fresh = new Set<GateOwner>();
  private readonly ring = new Set<GateOwner>();
  /** `fresh`: it runs nothing either (else it was served recently and goes to the back). */
  add(o: GateOwner, fresh: boolean): void {
    if (this.ring.has(o) || this.fresh.has(o)) return;
    (fresh ? this.fresh : this.ring).add(o);
  }
  delete(o: GateOwner): void {
    this.fresh.delete(o);
    this.ring.delete(o);
  }
  /** The owner whose turn it is, if any may start something now. */
  peek(eligible: (o: GateOwner) => boolean): GateOwner | undefined {
    for (const o of this.fresh) if (eligible(o)) return o;
    for (const o of this.ring) if (eligible(o)) return o;
    return undefined;
  }
  /** The owner whose turn it is, moved to the back of the ring. */
  next(eligible: (o: GateOwner) => boolean): GateOwner | undefined {
    const o = this.peek(eligible);
    if (o) {
      this.delete(o);
      this.ring.add(o);
    }
    return o;
  }
}

export class Gate {
  private active = 0;
  /** Running jobs of interactive owners. */
  private activeInteractive = 0;
  private waitingJobs = 0;
  private countedJobs = 0;
  private backgroundPassed = 0;
  private readonly owners = new Map<GateOwner, OwnerState>();
  private readonly interactive = new Turns();
  /** Interactive owners that started a question whose other parts still wait. */
  private readonly finishing = new Set<GateOwner>();
  private readonly background = new Turns();
  private readonly idle = new Turns();

  /**
   * `appMax`: slots app work (background and idle owners: pushes, warmup, the hot refresh) may fill while no
   * interactive work runs or waits. A push run is a burst of small queries that one slot serialises (six NEM tabs'
   * ~100 panel queries one after another); with nobody else asking, a second slot is a second core. An interactive
   * question that arrives meanwhile takes the first slot freed, as it would with one slot, and no app work starts
   * beside it.
   */
  constructor(
    readonly max: number,
    readonly maxQueue: number,
    readonly perOwner = Number.POSITIVE_INFINITY,
    readonly appMax = max,
  ) {
    if (max < 1) throw new RangeError('a gate needs at least one slot');
    if (!(appMax >= max)) throw new RangeError('appMax must be at least max');
    if (!(perOwner >= 1)) throw new RangeError('perOwner must be at least 1');
  }

  /** Queries running now. */
  get running(): number {
    return this.active;
  }
  /** Queries waiting for a slot (each once, however many owners asked it). */
  get queued(): number {
    return this.waitingJobs;
  }
  /** Owners with something open, waiting or running (their state is dropped once they have none). */
  get ownerCount(): number {
    return this.owners.size;
  }

  /** No more interactive work can wait: a new question now is refused (`overloaded`). */
  get full(): boolean {
    return this.active >= this.max && this.countedJobs >= this.maxQueue;
  }

  /**
   * Opens one question for `owner` (it holds its place until `release`, however many queries it takes: a tab is one
   * question); undefined when the owner already has `perOwner` open. Background owners are not counted.
   */
  open(owner: GateOwner): (() => void) | undefined {
    if (owner.background) return () => {};
    const s = this.state(owner);
    if (s.open >= this.perOwner) {
      this.forget(owner, s);
      return undefined;
    }
    s.open++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      s.open--;
      this.forget(owner, s);
    };
  }

  /** Runs `task` on its own (an anonymous interactive owner); undefined when the gate is full. */
  run<T>(task: () => Promise<T>): Promise<T> | undefined {
    return this.full ? undefined : this.enter([{}], task).promise;
  }

  /**
   * Queues `task` for `owners`, any of whom may run it: it runs at the turn of the first one whose turn comes, and
   * gets that owner. Never refused: admission happens before (full, open), once per question, so a tab's panels
   * cannot be refused halfway.
   */
  enter<O extends GateOwner, T>(owners: readonly O[], task: (owner: O) => Promise<T>, question?: object): Ticket<O, T> {
    if (owners.length === 0) throw new RangeError('a task needs an owner');
    const counted = !owners.some((o) => o.background);
    let job!: Job;
    const promise = new Promise<T>((resolve, reject) => {
      job = {
        owners: new Set(),
        counted,
        question,
        started: false,
        fail: reject,
        // The slot is free before the answer is handed over, so whoever it wakes finds it free.
        run: (owner) => {
          Promise.resolve()
            .then(() => task(owner as O))
            .then(
              (value) => (this.finish(owner), resolve(value)),
              (err: unknown) => (this.finish(owner), reject(err)),
            );
        },
      };
    });
    this.waitingJobs++;
    if (counted) this.countedJobs++;
    this.join(job, owners);
    return { promise, join: (more) => this.join(job, more) };
  }

  private join(job: Job, owners: readonly GateOwner[]): void {
    if (job.started) return;
    for (const o of owners) {
      if (job.owners.has(o) || o.closed) continue;
      job.owners.add(o);
      const s = this.state(o);
      s.waiting.push(job);
      this.turnsOf(o).add(o, s.running === 0);
    }
    if (job.owners.size === 0) this.drop(job, new SessionClosedError());
    else this.pump();
  }

  private pump(): void {
    for (;;) {
      const owner = this.active < this.max ? this.pick() : this.active < this.appMax ? this.pickBeyond() : undefined;
      if (!owner) return;
      const s = this.state(owner);
      const at = s.started ? s.waiting.findIndex((j) => j.question === s.started) : -1;
      const job = at >= 0 ? s.waiting.splice(at, 1)[0] : s.waiting.shift()!;
      if (job.question) {
        s.started = job.question;
        if (!owner.background) this.finishing.add(owner);
      }
      if (s.waiting.length === 0) this.turnsOf(owner).delete(owner);
      this.unqueue(job);
      s.running++;
      this.active++;
      if (!isApp(owner)) this.activeInteractive++;
      job.run(owner);
    }
  }

  /**
   * Whose turn it is: an owner with a started question (a tab whose first panels ran) finishes it first, so a tab
   * waits about one round, not one round per panel; then interactive owners round-robin, a waiting background owner
   * at least every few turns. A question is at most a tab's few panels, so this delays another socket by that much.
   */
  private pick(): GateOwner | undefined {
    const eligible = (o: GateOwner) => this.eligible(o);
    const finishing = this.pickFinishing();
    if (finishing) return finishing;
    const bg = this.background.peek(eligible);
    if (bg && this.backgroundPassed < BACKGROUND_EVERY) {
      const owner = this.interactive.next(eligible);
      if (owner) {
        this.backgroundPassed++;
        return owner;
      }
    } else if (!bg) return this.interactive.next(eligible) ?? this.idle.next(eligible);
    this.backgroundPassed = 0;
    return this.background.next(eligible);
  }

  private pickFinishing(): GateOwner | undefined {
    for (const o of this.finishing) {
      const s = this.owners.get(o);
      if (!s || !s.started || !s.waiting.some((j) => j.question === s.started)) this.finishing.delete(o);
      else if (this.eligible(o)) return o;
    }
    return undefined;
  }

  /**
   * Who takes a slot beyond `max` (up to `appMax`): interactive work while fewer than `max` interactive jobs run (app
   * work in the extra slot must not hold it back), else app work while no interactive work runs or waits.
   */
  private pickBeyond(): GateOwner | undefined {
    const eligible = (o: GateOwner) => this.eligible(o);
    if (this.activeInteractive < this.max) {
      const owner = this.pickFinishing() ?? this.interactive.next(eligible);
      if (owner) return owner;
    }
    if (this.activeInteractive > 0 || this.interactive.peek(eligible)) return undefined;
    return this.background.next(eligible) ?? this.idle.next(eligible);
  }

  /** Has work waiting and a free connection; a closed owner's waiting work is dropped here. */
  private eligible(o: GateOwner): boolean {
    const s = this.owners.get(o);
    if (!s || s.waiting.length === 0) return false;
    if (o.closed) {
      this.dropOwner(o, s);
      return false;
    }
    return s.running < (o.width ?? 1);
  }

  /** A closed owner leaves every job it waits on; a job no owner is left on is refused. */
  private dropOwner(o: GateOwner, s: OwnerState): void {
    this.turnsOf(o).delete(o);
    for (const job of s.waiting.splice(0)) {
      job.owners.delete(o);
      if (job.owners.size === 0) this.drop(job, new SessionClosedError());
    }
    this.forget(o, s);
  }

  private drop(job: Job, err: unknown): void {
    if (job.started) return;
    this.unqueue(job);
    job.fail(err);
  }

  /** Takes a job out of every queue it waits in (it starts, or nobody is left to run it). */
  private unqueue(job: Job): void {
    job.started = true;
    this.waitingJobs--;
    if (job.counted) this.countedJobs--;
    for (const o of job.owners) {
      const s = this.owners.get(o);
      if (!s) continue;
      const i = s.waiting.indexOf(job);
      if (i >= 0) s.waiting.splice(i, 1);
      if (s.waiting.length === 0) this.turnsOf(o).delete(o);
    }
  }

  private finish(owner: GateOwner): void {
    this.active--;
    if (!isApp(owner)) this.activeInteractive--;
    const s = this.owners.get(owner);
    if (s) {
      s.running--;
      this.forget(owner, s);
    }
    this.pump();
  }

  private state(o: GateOwner): OwnerState {
    let s = this.owners.get(o);
    if (!s) this.owners.set(o, (s = { waiting: [], running: 0, open: 0 }));
    return s;
  }

  /** Drops an owner's state once nothing of it is left (sessions come and go by the thousand). */
  private forget(o: GateOwner, s: OwnerState): void {
    if (s.waiting.length === 0 && s.running === 0 && s.open === 0 && this.owners.get(o) === s) this.owners.delete(o);
  }

  private turnsOf(o: GateOwner): Turns {
    return o.idle ? this.idle : o.background ? this.background : this.interactive;
  }
}

const isApp = (o: GateOwner): boolean => o.background === true || o.idle === true;

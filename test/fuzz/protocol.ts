/** Messages between the fuzz parent (harness.ts) and its child (worker.ts). */

export interface CaseMessage {
  readonly type: 'case';
  readonly id: number;
  /** Fresh folder holding the model (and any external data files). */
  readonly dir: string;
  readonly file: string;
  /** Seeds the random input and the sizes picked for symbolic dims. */
  readonly inputSeed: number;
  readonly memoryBudget: number;
}

export interface Outcome {
  /** ok: loaded, ran and backpropagated; rejected: a CamanimError; exception: anything else. */
  status: 'ok' | 'rejected' | 'exception';
  phase: 'load' | 'run' | 'backward' | 'done';
  code?: string;
  name?: string;
  message?: string;
  stack?: string;
  /** A CamanimError whose cause is a plain exception (inferGraph wraps those). */
  wrapped?: string;
  /**
   * A CamanimError caused by a failed host allocation: the model made camanim ask for more
   * memory than the fuzz child may use (without the cap it would have taken gigabytes).
   */
  allocation?: string;
  /** Set when the GPU device was lost during the case. */
  deviceLost?: string;
  /** A GPU error raised outside any error scope during the case. */
  uncaptured?: string;
}

export type WorkerMessage =
  | { readonly type: 'ready'; readonly adapter: string }
  | { readonly type: 'result'; readonly id: number; readonly outcome: Outcome }
  /** The case is still making progress (a kernel compiled). */
  | { readonly type: 'progress'; readonly id: number }
  | {
      readonly type: 'fatal';
      readonly id: number | undefined;
      readonly kind: 'unhandled-rejection' | 'uncaught-exception';
      readonly message: string;
      readonly stack: string;
    };

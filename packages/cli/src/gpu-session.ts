/**
 * The GPU device and the loaded model a command works with. A device lost mid-run (a driver
 * reset, a GPU hang caught by the OS: anything but our own dispose) is recovered once per
 * command: a new device, the model loaded again, and the step that was running done again from
 * its start. A second loss fails with a message naming the step.
 *
 * Tests simulate a loss: CAMANIM_TEST_DEVICE_LOSSES=n destroys the device at each of the first
 * n `faultPoint()`s, as a driver reset would, behind the model's back.
 */
import { CamanimError, acquireDevice, type Device, type Model } from '@camanim/core';

export interface GpuSessionOptions {
  readonly onNotice: (msg: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/** How long a failed step waits for the device's `lost` promise before calling it a plain error. */
const LOSS_SETTLE_MS = 100;

export class GpuSession {
  private recovered = false;
  private simulatedLosses: number;

  private constructor(
    private readonly load: (device: Device) => Promise<Model>,
    private readonly opts: GpuSessionOptions,
    private device: Device,
    private current: Model,
  ) {
    this.simulatedLosses = Number(opts.env.CAMANIM_TEST_DEVICE_LOSSES ?? 0);
  }

  /** Acquires a device and loads the model with `load`. */
  static async open(load: (device: Device) => Promise<Model>, opts: GpuSessionOptions): Promise<GpuSession> {
    const device = await acquireDevice({ onNotice: opts.onNotice });
    try {
      return new GpuSession(load, opts, device, await load(device));
    } catch (e) {
      device.destroy();
      throw e;
    }
  }

  /** The model on the current device (a new one after a recovery). */
  get model(): Model {
    return this.current;
  }

  /**
   * Runs `fn` on the current model; if the device is lost meanwhile, recovers (once per
   * session) and runs `fn` again. `fn` must start from scratch: nothing it made on the old
   * device survives.
   */
  async step<T>(name: string, fn: (model: Model) => Promise<T>): Promise<T> {
    try {
      return await fn(this.current);
    } catch (e) {
      const reason = await this.lossReason();
      if (reason === undefined) throw e;
      if (this.recovered) {
        throw new CamanimError(
          'gpu',
          `The GPU device was lost again while ${name} (${reason}), after one recovery`,
          {},
          'Run again; if it repeats, update the GPU driver or use a smaller model or input',
          { cause: e },
        );
      }
      this.recovered = true;
      this.opts.onNotice(
        `The GPU device was lost while ${name} (${reason}): acquiring a new device, loading the model again and redoing that step`,
      );
      await this.reopen();
      return this.step(name, fn);
    }
  }

  /** Tests only (CAMANIM_TEST_DEVICE_LOSSES): loses the device here, the first n times. */
  async faultPoint(): Promise<void> {
    if (this.simulatedLosses <= 0) return;
    this.simulatedLosses--;
    this.device.gpu.destroy();
    await this.device.lost;
  }

  dispose(): void {
    this.current.dispose();
    this.device.destroy();
  }

  private async lossReason(): Promise<string | undefined> {
    return Promise.race([this.device.lost, new Promise<undefined>((r) => setTimeout(r, LOSS_SETTLE_MS, undefined))]);
  }

  private async reopen(): Promise<void> {
    this.dispose();
    this.device = await acquireDevice({ onNotice: this.opts.onNotice });
    try {
      this.current = await this.load(this.device);
    } catch (e) {
      this.device.destroy();
      throw e;
    }
  }
}

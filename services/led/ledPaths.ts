/**
 * Subject paths of the LED tutorial device (`led.*`): a GPIO controller (`led.gpio`, hardware)
 * and the tiny character-device driver bound to it (`led.drv`). One instance per run: the
 * tutorial is about the driver pattern, not about fleets.
 */
export const ledPaths = {
  /** `LedDriverBindRequested`: the platform bus matched the `led` DT node; probe starts. */
  bind: "led.bind",
  /** `LedProbeStepCompleted`, `LedDeviceRegistered`: probe progress. */
  probe: "led.drv.probe",
  /** `GpioWriteIssued`: the driver's writes to the GPIO controller's registers (the MMIO boundary). */
  gpioCmd: "led.gpio.cmd",
  /** `ButtonPressed`: the outside world presses the button wired to the input line. */
  pin: "led.gpio.pin",
  /** `GpioOutputChanged`: an output line changed level (the LED lit or went dark). */
  out: "led.gpio.out",
  /** `GpioIrqRaised`: the controller raised its interrupt for an input edge. */
  irq: "led.gpio.irq",
  /** `LedWriteIssued`: a user-space process calls write(2) on `/dev/led`. */
  dev: "led.dev",
  /** `LedWriteCompleted`: write(2) returned (byte count or -errno). */
  devDone: "led.dev.done",
  /** `SpinlockAcquired`, `SpinlockReleased`, `IrqDeferred`, `LedIrqHandled`: the lock discipline as it runs. */
  lock: "led.drv.lock",
  /** `LockdepInconsistentUsage`, `SpinlockDeadlocked`, `HardLockupDetected`: what the kernel's debug machinery reports. */
  lockdep: "led.drv.lockdep",
} as const;

/** The actor names (the multi-process runtime places both in the `led` service). */
export const LED_ACTORS = { gpio: "led.gpio", driver: "led.drv" } as const;

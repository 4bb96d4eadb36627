/**
 * How the tutorial board is wired (assumed, as a DT would say it): the LED on line 5 of the GPIO
 * bank (active high), the button on line 6 (pressed = high), the bank's interrupt routed to CPU 0
 * — the one CPU the tutorial models, where the writing process also runs.
 */
export const LED_BOARD = {
  ledLine: 5,
  buttonLine: 6,
  cpu: 0,
  /** The lock the write() path and the IRQ handler share (`struct led_dev.lock`). */
  lock: "led->lock",
  node: "/dev/led",
  /** The name `request_irq()` gets, shown in /proc/interrupts. */
  irqName: "led-button",
  /** `watchdog_thresh`: the hard-lockup detector fires after a CPU took no timer interrupt this long. */
  watchdogThreshNs: 10_000_000_000,
} as const;

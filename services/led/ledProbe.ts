import type { PayloadOf } from "../../shared/events/registry.ts";
import type { GpioReg } from "./gpioRegs.ts";
import { LED_BOARD } from "./ledBoard.ts";
import type { LedProbeStepCompleted } from "./ledEvents.ts";

/** One register write of the probe, or a finished probe step. */
export type ProbeAction = { readonly kind: "write"; readonly reg: GpioReg; readonly value: number } | { readonly kind: "step"; readonly payload: PayloadOf<typeof LedProbeStepCompleted> };

/** A hiword-masked write setting `line`'s bit to `on`. */
export function bitWrite(line: number, on: boolean): number {
  return ((1 << (line + 16)) | (on ? 1 << line : 0)) >>> 0;
}

/**
 * `led_probe()` as the list of what it does, in order: take the two GPIOs (LED as an output
 * driven low, button as an input: `devm_gpiod_get(…, GPIOD_OUT_LOW / GPIOD_IN)`), request the
 * button's interrupt (`devm_request_irq(gpiod_to_irq(button), led_irq_handler,
 * IRQF_TRIGGER_RISING, …)`, which gpio-rockchip's irq_chip turns into INT_TYPE/POLARITY, a
 * stale-edge EOI, unmask and enable), and only then `misc_register()` — the device node goes last
 * so no write() can reach a half-initialised driver ("register last, unregister first").
 * `spin_lock_init()` came first of all; the lock needs no event.
 *
 * Simplified: the GPIO and IRQ requests cannot fail here (no missing DT property, no -EPROBE_DEFER).
 */
export function probeActions(): ProbeAction[] {
  const { ledLine: led, buttonLine: btn } = LED_BOARD;
  return [
    { kind: "write", reg: "SWPORT_DR_L", value: bitWrite(led, false) },
    { kind: "write", reg: "SWPORT_DDR_L", value: bitWrite(led, true) },
    { kind: "write", reg: "SWPORT_DDR_L", value: bitWrite(btn, false) },
    { kind: "step", payload: { step: "gpio-request", detail: `led = GPIO line ${led} (output, low); button = GPIO line ${btn} (input)` } },
    { kind: "write", reg: "INT_TYPE_L", value: bitWrite(btn, true) },
    { kind: "write", reg: "INT_POLARITY_L", value: bitWrite(btn, true) },
    { kind: "write", reg: "PORT_EOI_L", value: bitWrite(btn, true) },
    { kind: "write", reg: "INT_MASK_L", value: bitWrite(btn, false) },
    { kind: "write", reg: "INT_EN_L", value: bitWrite(btn, true) },
    { kind: "step", payload: { step: "irq-request", detail: `irq '${LED_BOARD.irqName}' on line ${btn}, rising edge, handler led_irq_handler` } },
    { kind: "step", payload: { step: "chrdev-register", detail: `misc device ${LED_BOARD.node}` } },
  ];
}
